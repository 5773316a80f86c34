import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from '@ferrule/toolchain/project';

/**
 * The orders table's schema, written once in backend/services/orders/table.json: the stack
 * creates the table from it, the Rust adapters' tests hold their key constants to it, and the
 * benchmark seed and the end-to-end test build keys with it.
 */
export interface OrdersTableSchema {
  readonly partitionKey: string;
  readonly sortKey: string;
  readonly entityAttribute: string;
  readonly timeToLiveAttribute: string;
  readonly streamView: 'NEW_AND_OLD_IMAGES';
  readonly customerPrefix: string;
  readonly orderPrefix: string;
  readonly notificationPrefix: string;
  readonly profileSortKey: string;
  readonly idempotencySortKey: string;
  /**
   * Global secondary indexes (string keys, all attributes projected); a function queries one
   * by naming it in its table use (`indexes: ['byStatus']`). Absent: none.
   */
  readonly indexes?: readonly OrdersTableIndex[];
}

export interface OrdersTableIndex {
  readonly name: string;
  readonly partitionKey: string;
  readonly sortKey?: string;
}

export const ORDERS_TABLE_SCHEMA_FILE = 'backend/services/orders/table.json';

let schema: OrdersTableSchema | undefined;

/** The parsed schema (read once). */
export function ordersTableSchema(): OrdersTableSchema {
  schema ??= JSON.parse(
    readFileSync(join(projectRoot, ORDERS_TABLE_SCHEMA_FILE), 'utf8'),
  ) as OrdersTableSchema;
  return schema;
}

/**
 * The key attributes and key schema of the orders table, in the shape DynamoDB's CreateTable
 * takes: for tests and the benchmark, which create the table in moto without CDK.
 */
export function ordersTableKeys(): {
  AttributeDefinitions: { AttributeName: string; AttributeType: 'S' }[];
  KeySchema: { AttributeName: string; KeyType: 'HASH' | 'RANGE' }[];
} {
  const { partitionKey, sortKey } = ordersTableSchema();
  return {
    AttributeDefinitions: [
      { AttributeName: partitionKey, AttributeType: 'S' },
      { AttributeName: sortKey, AttributeType: 'S' },
    ],
    KeySchema: [
      { AttributeName: partitionKey, KeyType: 'HASH' },
      { AttributeName: sortKey, KeyType: 'RANGE' },
    ],
  };
}
