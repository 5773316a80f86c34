import { CfnOutput, Duration, Validations } from 'aws-cdk-lib';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type * as ssm from 'aws-cdk-lib/aws-ssm';
import type { Construct } from 'constructs';
import { FerruleRule } from './event-rule.ts';
import { FerruleHttpApi } from './http-api.ts';
import { ordersTableSchema } from './orders-table.ts';
import { deadLetterAlarm } from './private/alarms.ts';
import { failureQueue } from './private/queues.ts';
import { publicClient, secureUserPool } from './private/user-pool.ts';
import { FerruleQueue } from './queue.ts';
import type { RustFunction, RustFunctionProps } from './rust-function.ts';
import { FerruleServiceStack, type FerruleServiceStackProps } from './service-stack.ts';
import { FerruleTable } from './table.ts';

/** The `source` of every event the orders service publishes (orders-adapters' EventBridgePublisher). */
export const ORDERS_EVENT_SOURCE = 'ferrule.orders';

/** The five function crates of the reference service, in backend/functions/. */
export const ORDERS_CRATES = [
  'orders-api',
  'identity-triggers',
  'orders-stream',
  'fulfillment-worker',
  'order-notifier',
] as const;

export interface OrdersStackProps extends Omit<FerruleServiceStackProps, 'serviceName' | 'createOnFirstUse'> {
  /**
   * Comma-separated e-mail domains allowed to sign up (`/orders/<stage>/signup-allowed-domains`,
   * read by identity-triggers' `SignUpPolicy::parse`).
   * @default 'example.com' in dev; required in prod (a shop must not open sign-up to a placeholder domain)
   */
  readonly signupAllowedDomains?: string;
  /**
   * HTTPS base URL of the shipping provider (`/orders/<stage>/shipping-base-url`).
   * @default 'https://shipping.example.com' in dev; required in prod
   */
  readonly shippingBaseUrl?: string;
}

const DEV_DEFAULTS = {
  signupAllowedDomains: 'example.com',
  shippingBaseUrl: 'https://shipping.example.com',
};

/**
 * Ferrule's reference service "orders" (backend/services/orders): an HTTP API on a Cognito
 * user pool, one DynamoDB table whose stream is published to an EventBridge bus, a
 * fulfillment queue fed by `OrderPlaced` and a notifier for cancellations and shipments.
 * Each of the five Rust functions gets exactly what it declares in `uses`, and declares
 * exactly what its crate calls (`ferrule check` compares the two).
 */
export class OrdersStack extends FerruleServiceStack {
  readonly table: FerruleTable;
  readonly userPool: cognito.UserPool;
  readonly userPoolClient: cognito.UserPoolClient;
  readonly bus: events.EventBus;
  readonly http: FerruleHttpApi;
  readonly fulfillmentQueue: FerruleQueue;
  readonly signupAllowedDomains: ssm.StringParameter;
  readonly shippingBaseUrl: ssm.StringParameter;
  readonly shippingApiSecret: secretsmanager.Secret;
  /** The five functions, by crate name. */
  readonly functions: Readonly<Record<(typeof ORDERS_CRATES)[number], RustFunction>>;

  constructor(scope: Construct, id: string, props: OrdersStackProps) {
    super(scope, id, { ...props, serviceName: 'orders' });
    const service = this.service;
    const stage = service.stage;
    const config = (name: 'signupAllowedDomains' | 'shippingBaseUrl'): string => {
      const value = props[name];
      if (value !== undefined) return value;
      if (service.isProduction) {
        throw new Error(
          `OrdersStack ${id}: ${name} is required in the prod stage (the dev default "${DEV_DEFAULTS[name]}" is a placeholder); pass it in the stack props`,
        );
      }
      return DEV_DEFAULTS[name];
    };
    const shippingBaseUrl = config('shippingBaseUrl');
    if (!/^https:\/\/[^\s/]+/.test(shippingBaseUrl)) {
      throw new Error(
        `OrdersStack ${id}: shippingBaseUrl must be an https:// URL (the shipping client refuses plain HTTP), not "${shippingBaseUrl}"`,
      );
    }
    const fn = (
      fnId: string,
      crate: (typeof ORDERS_CRATES)[number],
      description: string,
      extra: Pick<RustFunctionProps, 'timeout' | 'uses'> = {},
    ) => this.addFunction(fnId, { crate, description, ...extra });

    // One table: orders, profiles, notifications and idempotency records, as
    // backend/services/orders/table.json defines it (the key design of orders-adapters).
    const schema = ordersTableSchema();
    this.table = new FerruleTable(this, 'OrdersTable', {
      service,
      partitionKey: { name: schema.partitionKey, type: dynamodb.AttributeType.STRING },
      sortKey: { name: schema.sortKey, type: dynamodb.AttributeType.STRING },
      // MODIFY needs both images, or a status change would read as a new order.
      stream: dynamodb.StreamViewType[schema.streamView],
      // ferrule-idempotency expires its records through this attribute.
      timeToLiveAttribute: schema.timeToLiveAttribute,
      globalSecondaryIndexes: (schema.indexes ?? []).map((index) => ({
        indexName: index.name,
        partitionKey: { name: index.partitionKey, type: dynamodb.AttributeType.STRING },
        sortKey: index.sortKey ? { name: index.sortKey, type: dynamodb.AttributeType.STRING } : undefined,
      })),
    });
    const table = this.table.table;

    this.signupAllowedDomains = service.addParameter('SignupAllowedDomains', {
      name: 'signup-allowed-domains',
      value: config('signupAllowedDomains'),
      description: 'Comma-separated e-mail domains allowed to sign up (identity-triggers)',
    });
    this.shippingBaseUrl = service.addParameter('ShippingBaseUrl', {
      name: 'shipping-base-url',
      value: shippingBaseUrl,
      description: 'HTTPS base URL of the shipping provider (fulfillment-worker)',
    });
    this.shippingApiSecret = service.addSecret('ShippingApi', {
      name: 'shipping-api',
      description:
        'Shipping provider API key as {"apiKey": "..."}; replace the generated value with the issued key',
      generateSecretString: {
        secretStringTemplate: '{}',
        generateStringKey: 'apiKey',
        passwordLength: 40,
        excludePunctuation: true,
      },
    });

    this.bus = new events.EventBus(this, 'Bus', { eventBusName: `orders-${stage}` });

    // Identity: e-mail sign-in, sign-up limited to allowed domains, a profile on confirmation.
    this.userPool = secureUserPool(this, 'UserPool', service);
    this.userPoolClient = publicClient(this.userPool);
    const identityTriggers = fn(
      'IdentityTriggers',
      'identity-triggers',
      'Cognito PreSignUp / PostConfirmation',
      {
        // Cognito gives up on a trigger after 5 s.
        timeout: Duration.seconds(5),
        uses: {
          // PostConfirmation puts the profile if absent; PreSignUp reads only the allow-list.
          tables: [{ table, actions: ['PutItem'], env: 'ORDERS_TABLE' }],
          parameters: [{ parameter: this.signupAllowedDomains, env: 'SIGNUP_ALLOWED_DOMAINS' }],
        },
      },
    );
    identityTriggers.addUserPoolTrigger(this.userPool, cognito.UserPoolOperation.PRE_SIGN_UP);
    identityTriggers.addUserPoolTrigger(this.userPool, cognito.UserPoolOperation.POST_CONFIRMATION);

    // HTTP API: every route needs a token of the web client.
    const ordersApi = fn('OrdersApi', 'orders-api', 'Orders HTTP API', {
      uses: {
        tables: [
          {
            table,
            // Orders: get, list (Query), put. Idempotency records: put, get, update, delete.
            actions: ['DeleteItem', 'GetItem', 'PutItem', 'Query', 'UpdateItem'],
            env: 'ORDERS_TABLE',
          },
        ],
      },
    });
    this.http = new FerruleHttpApi(this, 'Http', {
      service,
      description: `Ferrule orders API (${stage})`,
      jwt: { userPool: this.userPool, userPoolClients: [this.userPoolClient] },
    });
    this.http.addRoute('/orders', ordersApi, { methods: [apigwv2.HttpMethod.GET, apigwv2.HttpMethod.POST] });
    this.http.addRoute('/orders/{id}', ordersApi, { methods: [apigwv2.HttpMethod.GET] });
    this.http.addRoute('/orders/{id}/cancel', ordersApi, { methods: [apigwv2.HttpMethod.POST] });

    // Table changes become events on the bus.
    const ordersStream = fn('OrdersStream', 'orders-stream', 'Orders table stream to EventBridge', {
      uses: { buses: [{ bus: this.bus, env: 'EVENT_BUS_NAME' }] },
    });
    this.table.addStreamConsumer(ordersStream);

    // OrderPlaced → queue → fulfillment-worker: the queue absorbs provider outages and paces calls.
    const fulfillmentWorker = fn('FulfillmentWorker', 'fulfillment-worker', 'Ships placed orders', {
      // Room for the provider's answer; deadline_from_remaining bounds each call.
      timeout: Duration.seconds(30),
      uses: {
        // Reads the order and puts it back shipped (a versioned put, not an update).
        tables: [{ table, actions: ['GetItem', 'PutItem'], env: 'ORDERS_TABLE' }],
        parameters: [{ parameter: this.shippingBaseUrl, env: 'SHIPPING_BASE_URL' }],
        secrets: [{ secret: this.shippingApiSecret, env: 'SHIPPING_SECRET_ID' }],
      },
    });
    this.fulfillmentQueue = new FerruleQueue(this, 'FulfillmentQueue', {
      service,
      consumer: fulfillmentWorker,
      // Shipping calls are slow and rate-limited by the provider: small batches, bounded concurrency.
      batchSize: 5,
      maxConcurrency: 5,
    });
    // FerruleRule targets functions; a queue target gets the same retry policy and dead-letter queue here.
    const placedDeadLetters = failureQueue(this, 'OrderPlacedUndelivered');
    deadLetterAlarm(this, service, placedDeadLetters, 'orders/OrderPlaced undelivered');
    const placedRule = new events.Rule(this, 'OrderPlacedRule', {
      description: 'OrderPlaced events to the fulfillment queue',
      eventBus: this.bus,
      eventPattern: { source: [ORDERS_EVENT_SOURCE], detailType: ['OrderPlaced'] },
    });
    placedRule.addTarget(
      new targets.SqsQueue(this.fulfillmentQueue.queue, {
        deadLetterQueue: placedDeadLetters,
        retryAttempts: 3,
        maxEventAge: Duration.hours(1),
      }),
    );

    const orderNotifier = fn('OrderNotifier', 'order-notifier', 'Records a notification per event', {
      // One conditional put per notification.
      uses: { tables: [{ table, actions: ['PutItem'], env: 'ORDERS_TABLE' }] },
    });
    new FerruleRule(this, 'NotifyRule', {
      service,
      target: orderNotifier,
      eventBus: this.bus,
      eventPattern: { source: [ORDERS_EVENT_SOURCE], detailType: ['OrderCancelled', 'OrderShipped'] },
      description: 'OrderCancelled and OrderShipped events to order-notifier',
    });

    // What functions added in infrastructure/functions/ (service 'orders') reach by name.
    this.resources.registerTable('orders', this.table);
    this.resources.registerBus('orders', this.bus);
    this.resources.registerQueue('fulfillment', this.fulfillmentQueue);
    this.resources.registerUserPool('users', this.userPool, this.userPoolClient);
    this.resources.registerHttpApi(this.http, 'users');

    this.functions = {
      'orders-api': ordersApi,
      'identity-triggers': identityTriggers,
      'orders-stream': ordersStream,
      'fulfillment-worker': fulfillmentWorker,
      'order-notifier': orderNotifier,
    };

    // The findings the rule packs raise on this design are answered by the constructs
    // themselves (a dead-letter queue has no dead-letter queue, a synchronous function no DLQ);
    // what is left is this service's own decision.
    Validations.of(this.shippingApiSecret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'The shipping provider issues this API key; Secrets Manager rotation cannot mint a new one. Rotate at the provider and put the new value.',
    });

    new CfnOutput(this, 'ApiUrl', { value: this.http.url });
    new CfnOutput(this, 'UserPoolId', { value: this.userPool.userPoolId });
    new CfnOutput(this, 'UserPoolClientId', { value: this.userPoolClient.userPoolClientId });
    new CfnOutput(this, 'EventBusName', { value: this.bus.eventBusName });
  }
}
