// What the measured functions need in moto: the SSM parameters and the secret their cloud
// configuration references, and the orders table (backend/services/orders/table.json)
// holding one order of the fixture's caller, so `GET /orders/{id}` answers 200.
import { CreateTableCommand, DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { ordersTableSchema } from '@ferrule/infrastructure/orders-table';
import { SEED } from './subjects.ts';

export async function seedMoto(environment: Readonly<Record<string, string>>): Promise<void> {
  const config = {
    endpoint: environment.AWS_ENDPOINT_URL,
    region: environment.AWS_REGION ?? 'eu-west-1',
    credentials: { accessKeyId: 'testing', secretAccessKey: 'testing', sessionToken: 'testing' },
  };
  const ssm = new SSMClient(config);
  for (const [name, value] of Object.entries(SEED.parameters)) {
    await ssm.send(new PutParameterCommand({ Name: name, Value: value, Type: 'String', Overwrite: true }));
  }
  const secrets = new SecretsManagerClient(config);
  await secrets.send(new CreateSecretCommand({ Name: SEED.secret.id, SecretString: SEED.secret.value }));
  const dynamodb = new DynamoDBClient(config);
  const schema = ordersTableSchema();
  await dynamodb.send(
    new CreateTableCommand({
      TableName: SEED.table,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [
        { AttributeName: schema.partitionKey, AttributeType: 'S' },
        { AttributeName: schema.sortKey, AttributeType: 'S' },
      ],
      KeySchema: [
        { AttributeName: schema.partitionKey, KeyType: 'HASH' },
        { AttributeName: schema.sortKey, KeyType: 'RANGE' },
      ],
    }),
  );
  await dynamodb.send(
    new PutItemCommand({
      TableName: SEED.table,
      Item: {
        [schema.partitionKey]: { S: `${schema.customerPrefix}${SEED.customerId}` },
        [schema.sortKey]: { S: `${schema.orderPrefix}${SEED.orderId}` },
        [schema.entityAttribute]: { S: 'ORDER' },
        orderId: { S: SEED.orderId },
        customerId: { S: SEED.customerId },
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
      },
    }),
  );
  for (const client of [ssm, secrets, dynamodb]) client.destroy();
}
