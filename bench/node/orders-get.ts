// The Node.js counterpart of orders-api's `GET /orders/{id}`, written as Node.js users write
// it: AWS SDK v3 `DynamoDBClient` created at module scope, one handler. Same logic as the
// Rust route: caller from the JWT `sub` (401 without), ULID path parameter (400 otherwise),
// a consistent GetItem on `CUSTOMER#<sub>` / `ORDER#<id>` (the key design of
// backend/services/orders/adapters), 404 when absent (someone else's order is never under
// the caller's key), 200 with the order as JSON.
import { type AttributeValue, DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';

const client = new DynamoDBClient({});
const table = process.env.ORDERS_TABLE ?? '';

/** Crockford base32, 26 digits, first digit at most 7 (128 bits), either case. */
const ULID = /^[0-7][0-9A-HJKMNP-TV-Z]{25}$/i;

interface HttpEvent {
  readonly pathParameters?: Readonly<Record<string, string | undefined>>;
  readonly requestContext?: {
    readonly authorizer?: { readonly jwt?: { readonly claims?: Readonly<Record<string, unknown>> } };
  };
}

interface HttpResult {
  readonly statusCode: number;
  readonly headers: Record<string, string>;
  readonly body: string;
}

function problem(status: number, title: string, detail: string, extra: Record<string, string> = {}) {
  return {
    statusCode: status,
    headers: { 'content-type': 'application/problem+json', ...extra },
    body: JSON.stringify({ type: 'about:blank', title, status, detail }),
  } satisfies HttpResult;
}

const text = (value: AttributeValue | undefined) => value?.S;
const number = (value: AttributeValue | undefined) => (value?.N === undefined ? undefined : Number(value.N));

/** An order item back into the API's JSON shape (camelCase fields, keys and entity dropped). */
function toOrder(item: Record<string, AttributeValue>) {
  const items = (item.items?.L ?? []).map((line) => ({
    sku: text(line.M?.sku),
    quantity: number(line.M?.quantity),
    unitPriceCents: number(line.M?.unitPriceCents),
  }));
  return {
    orderId: text(item.orderId),
    customerId: text(item.customerId),
    items,
    totalCents: number(item.totalCents),
    currency: text(item.currency),
    status: text(item.status),
    placedAt: text(item.placedAt),
    ...(item.cancelledAt ? { cancelledAt: text(item.cancelledAt) } : {}),
    ...(item.shippedAt ? { shippedAt: text(item.shippedAt) } : {}),
    ...(item.trackingNumber ? { trackingNumber: text(item.trackingNumber) } : {}),
    version: number(item.version),
  };
}

export const handler = async (event: HttpEvent): Promise<HttpResult> => {
  const sub = event.requestContext?.authorizer?.jwt?.claims?.sub;
  if (typeof sub !== 'string' || sub.length === 0) {
    return problem(401, 'Unauthorized', 'This route needs a bearer token.', { 'www-authenticate': 'Bearer' });
  }
  const id = event.pathParameters?.id ?? '';
  if (!ULID.test(id)) return problem(400, 'Invalid path parameter', `\`${id.slice(0, 40)}\` is not a ULID`);
  const orderId = id.toUpperCase();
  const { Item } = await client.send(
    new GetItemCommand({
      TableName: table,
      Key: { pk: { S: `CUSTOMER#${sub}` }, sk: { S: `ORDER#${orderId}` } },
      ConsistentRead: true,
    }),
  );
  if (!Item) return problem(404, 'Not Found', `order ${orderId} not found`);
  return {
    statusCode: 200,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(toOrder(Item)),
  };
};
