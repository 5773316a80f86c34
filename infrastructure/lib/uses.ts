import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as events from 'aws-cdk-lib/aws-events';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type * as ssm from 'aws-cdk-lib/aws-ssm';

/**
 * Action sets, shorthand for declarations that do not list `actions`:
 * - `read`: get, batch get, query, condition checks, describe (queries also on every index)
 * - `write`: put, update, delete, batch write
 * - `read-write`: both
 * - `stream`: read the table's stream (what a DynamoDB Streams event source needs)
 */
export type TableAccess = 'read' | 'write' | 'read-write' | 'stream';

/** A DynamoDB action on items or the table, as IAM names it without the `dynamodb:` prefix. */
export type TableAction =
  | 'BatchGetItem'
  | 'BatchWriteItem'
  | 'ConditionCheckItem'
  | 'DeleteItem'
  | 'DescribeTable'
  | 'GetItem'
  | 'PutItem'
  | 'Query'
  | 'Scan'
  | 'UpdateItem';

export interface TableUse {
  readonly table: dynamodb.ITable;
  /**
   * An action set (see `TableAccess`). Give exactly one of `access` and `actions`; `stream`
   * is for event sources, the others are shorthand for code whose calls are not listed yet.
   * @default - none: `actions` says what the code calls
   */
  readonly access?: TableAccess;
  /**
   * Exactly the DynamoDB actions the code calls on the table (`ferrule check` compares them
   * with the SDK calls of the crate), for example `['GetItem', 'PutItem', 'Query']`.
   * @default - none: `access` gives an action set
   */
  readonly actions?: readonly TableAction[];
  /**
   * Indexes the code queries or scans by name (`.index_name("by-status")`): `Query` and
   * `Scan` of the declared actions are granted on `<table ARN>/index/<name>` for each.
   * @default - with `actions`, none; with `read` or `read-write`, every index (`<table ARN>/index/*`)
   */
  readonly indexes?: readonly string[];
  /** Environment variable set to the table name, for example `ORDERS_TABLE`. @default - none */
  readonly env?: string;
}

/** `send`: SendMessage. `consume`: receive, delete, change visibility, read attributes. */
export type QueueAccess = 'send' | 'consume';

export interface QueueUse {
  readonly queue: sqs.IQueue;
  readonly access: QueueAccess;
  /** Environment variable set to the queue URL. @default - none */
  readonly env?: string;
}

export interface BusUse {
  /** A bus the function publishes to (`events:PutEvents`). */
  readonly bus: events.IEventBus;
  /** Environment variable set to the bus name. @default - none */
  readonly env?: string;
}

/** An SSM read of one named parameter, as IAM names it without the `ssm:` prefix. */
export type ParameterAction = 'GetParameter' | 'GetParameters';

export interface ParameterUse {
  readonly parameter: ssm.IParameter;
  /**
   * The SSM actions the code calls on the parameter.
   * @default ['GetParameters'] — the one ferrule-parameters calls, for `ssm:` values at init
   * and for `Parameters::get`
   */
  readonly actions?: readonly ParameterAction[];
  /**
   * Environment variable set to `ssm:<parameterName>`, the reference ferrule-parameters
   * resolves at init.
   * @default - none (the function reads the parameter by name)
   */
  readonly env?: string;
  /**
   * Customer-managed key of a SecureString; the function gets `kms:Decrypt` on it.
   * @default - none (String parameters, or SecureStrings under `aws/ssm`)
   */
  readonly key?: kms.IKey;
}

export interface SecretUse {
  readonly secret: secretsmanager.ISecret;
  /**
   * Environment variable set to the secret's ARN (or its name when imported by name),
   * the id ferrule-secrets fetches.
   * @default - none
   */
  readonly env?: string;
}

/**
 * What a function touches. Each declaration grants exactly the actions it names (or those
 * of its access) on exactly that resource (docs/constructs.md has the table), plus
 * `kms:Decrypt` (and `kms:GenerateDataKey` for writes) on the resource's customer-managed
 * key, and sets the named environment variable. `ferrule check` compares the result with
 * the AWS calls the function's crate can make.
 */
export interface Uses {
  /** @default - none */
  readonly tables?: readonly TableUse[];
  /** @default - none */
  readonly queues?: readonly QueueUse[];
  /** @default - none */
  readonly buses?: readonly BusUse[];
  /** @default - none */
  readonly parameters?: readonly ParameterUse[];
  /** @default - none */
  readonly secrets?: readonly SecretUse[];
}

/** One statement the construct put on the function's role, and why. */
export interface DeclaredGrant {
  /** `logs` and `tracing` come with every function, `vpc` with one in a VPC; `uses` from a declaration. */
  readonly origin: 'logs' | 'tracing' | 'vpc' | 'uses';
  /** What it is for, for example `table Orders (read)`. */
  readonly reason: string;
  readonly actions: readonly string[];
  readonly resources: readonly string[];
}
