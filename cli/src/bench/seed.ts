// What the measured functions need in moto: the SSM parameters and the secret their cloud
// configuration references, and the orders table (backend/services/orders/table.json)
// holding one order of the fixture's caller, so `GET /orders/{id}` answers 200; for the
// concurrency section, many more PLACED orders for fulfillment-worker to ship.
import {
  type AttributeValue,
  BatchWriteItemCommand,
  CreateTableCommand,
  DynamoDBClient,
  PutItemCommand,
} from '@aws-sdk/client-dynamodb';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { ordersTableKeys, ordersTableSchema } from '@ferrule/infrastructure/orders-table';
import { SEED } from './subjects.ts';

function clientConfig(environment: Readonly<Record<string, string>>) {
  return {
    endpoint: environment.AWS_ENDPOINT_URL,
    region: environment.AWS_REGION ?? 'eu-west-1',
    credentials: { accessKeyId: 'testing', secretAccessKey: 'testing', sessionToken: 'testing' },
  };
}

/** A PLACED order of `customerId` as the adapters store it (two lines, 64.99 EUR). */
export function orderItem(customerId: string, orderId: string): Record<string, AttributeValue> {
  const schema = ordersTableSchema();
  return {
    [schema.partitionKey]: { S: `${schema.customerPrefix}${customerId}` },
    [schema.sortKey]: { S: `${schema.orderPrefix}${orderId}` },
    [schema.entityAttribute]: { S: 'ORDER' },
    orderId: { S: orderId },
    customerId: { S: customerId },
    items: {
      L: [
        { M: { sku: { S: 'BOOK-RUST-2021' }, quantity: { N: '1' }, unitPriceCents: { N: '3999' } } },
        { M: { sku: { S: 'MUG-FERRIS' }, quantity: { N: '2' }, unitPriceCents: { N: '1250' } } },
      ],
    },
    totalCents: { N: '6499' },
    currency: { S: 'EUR' },
    status: { S: 'PLACED' },
    placedAt: { S: '2026-11-26T08:17:20.512Z' },
    version: { N: '1' },
  };
}

/** More PLACED orders of one customer in the seeded table, 25 to a BatchWriteItem. */
export async function seedOrders(
  environment: Readonly<Record<string, string>>,
  customerId: string,
  orderIds: readonly string[],
): Promise<void> {
  const dynamodb = new DynamoDBClient(clientConfig(environment));
  try {
    for (let i = 0; i < orderIds.length; i += 25) {
      let items: Record<string, AttributeValue>[] = orderIds
        .slice(i, i + 25)
        .map((id) => orderItem(customerId, id));
      // moto writes every item; DynamoDB may hand some back, which are sent again.
      for (let attempt = 0; items.length > 0; attempt++) {
        if (attempt === 5) throw new Error(`moto did not take ${items.length} seeded orders`);
        const answer = await dynamodb.send(
          new BatchWriteItemCommand({
            RequestItems: { [SEED.table]: items.map((Item) => ({ PutRequest: { Item } })) },
          }),
        );
        items = (answer.UnprocessedItems?.[SEED.table] ?? []).flatMap((r) =>
          r.PutRequest?.Item ? [r.PutRequest.Item] : [],
        );
      }
    }
  } finally {
    dynamodb.destroy();
  }
}

export async function seedMoto(environment: Readonly<Record<string, string>>): Promise<void> {
  const config = clientConfig(environment);
  const ssm = new SSMClient(config);
  for (const [name, value] of Object.entries(SEED.parameters)) {
    await ssm.send(new PutParameterCommand({ Name: name, Value: value, Type: 'String', Overwrite: true }));
  }
  const secrets = new SecretsManagerClient(config);
  await secrets.send(new CreateSecretCommand({ Name: SEED.secret.id, SecretString: SEED.secret.value }));
  const dynamodb = new DynamoDBClient(config);
  await dynamodb.send(
    new CreateTableCommand({
      TableName: SEED.table,
      BillingMode: 'PAY_PER_REQUEST',
      ...ordersTableKeys(),
    }),
  );
  await dynamodb.send(
    new PutItemCommand({ TableName: SEED.table, Item: orderItem(SEED.customerId, SEED.orderId) }),
  );
  for (const client of [ssm, secrets, dynamodb]) client.destroy();
}
