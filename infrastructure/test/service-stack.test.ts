import { Duration } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import * as events from 'aws-cdk-lib/aws-events';
import { describe, expect, it } from 'vitest';
import { functions as appFunctions } from '../functions/index.ts';
import {
  FerruleRule,
  type FerruleServiceStack,
  parsePlatform,
  type ServiceFunction,
  serviceCatalog,
} from '../lib/index.ts';
import { ruleFindings, wiredApp } from './helpers.ts';

const _platform = parsePlatform('al2023-x86_64');

/** One function per trigger in the `functions` service, written as `ferrule new function` writes them. */
const everyTrigger: ServiceFunction[] = [
  {
    service: 'functions',
    wire: (stack) => {
      const fn = stack.addFunction('PaymentsWebhook', {
        crate: 'payments-webhook',
        uses: {
          tables: [
            { table: stack.resources.table('payments').table, access: 'read-write', env: 'PAYMENTS_TABLE' },
          ],
        },
      });
      stack.resources.httpApi().addRoute('/payments/webhook', fn, {
        methods: [apigwv2.HttpMethod.POST],
        authorized: false,
        publicBecause:
          'The webhook checks the payment provider signature itself; the route is open by design.',
      });
    },
  },
  {
    service: 'functions',
    wire: (stack) => {
      const fn = stack.addFunction('ProfileApi', { crate: 'profile-api' });
      stack.resources
        .httpApi({ userPool: 'users' })
        .addRoute('/profile', fn, { methods: [apigwv2.HttpMethod.GET] });
    },
  },
  {
    service: 'functions',
    wire: (stack) => {
      const fn = stack.addFunction('PaymentsWorker', {
        crate: 'payments-worker',
        uses: {
          queues: [
            { queue: stack.resources.queue('receipts').queue, access: 'send', env: 'RECEIPTS_QUEUE_URL' },
          ],
        },
      });
      stack.resources.queue('payments').addConsumer(fn);
    },
  },
  {
    service: 'functions',
    wire: (stack) =>
      stack.resources
        .queue('ledger', { fifo: true })
        .addConsumer(stack.addFunction('Ledger', { crate: 'ledger' })),
  },
  {
    service: 'functions',
    wire: (stack) => {
      const fn = stack.addFunction('PaymentsStream', {
        crate: 'payments-stream',
        uses: { buses: [{ bus: stack.resources.bus('payments'), env: 'PAYMENTS_BUS' }] },
      });
      stack.resources.table('payments').addStreamConsumer(fn);
    },
  },
  {
    service: 'functions',
    wire: (stack) => {
      const fn = stack.addFunction('PaymentEvents', { crate: 'payment-events' });
      new FerruleRule(stack, 'PaymentEventsRule', {
        service: stack.service,
        target: fn,
        eventBus: stack.resources.bus('payments'),
        eventPattern: { source: ['ferrule.payments'], detailType: ['PaymentSettled'] },
      });
    },
  },
  {
    service: 'functions',
    wire: (stack) => {
      const fn = stack.addFunction('NightlyReport', { crate: 'nightly-report' });
      new FerruleRule(stack, 'NightlyReportRule', {
        service: stack.service,
        target: fn,
        schedule: events.Schedule.expression('cron(0 3 * * ? *)'),
      });
    },
  },
  ...(['PRE_SIGN_UP', 'POST_CONFIRMATION'] as const).map(
    (operation): ServiceFunction => ({
      service: 'functions',
      wire: (stack) => {
        const crate = operation === 'PRE_SIGN_UP' ? 'sign-up-check' : 'welcome';
        const fn = stack.addFunction(crate === 'welcome' ? 'Welcome' : 'SignUpCheck', {
          crate,
          timeout: Duration.seconds(5),
        });
        fn.addUserPoolTrigger(stack.resources.userPool('users').pool, cognito.UserPoolOperation[operation]);
      },
    }),
  ),
];

/** Crates the wirings of this file add, beside the workspace's own. */
const TEST_CRATES = [
  'payments-webhook',
  'profile-api',
  'payments-worker',
  'ledger',
  'payments-stream',
  'payment-events',
  'nightly-report',
  'sign-up-check',
  'welcome',
  'order-digest',
  'a',
  'b',
];

const app = (functions: readonly ServiceFunction[]) => wiredApp(functions, TEST_CRATES);
const findings = ruleFindings;

describe('FerruleServiceStack (service functions)', () => {
  const all = app(everyTrigger);
  const template = Template.fromStack(all.functions as FerruleServiceStack);

  it('passes AwsSolutions, Serverless and the ADR-002 pack for every trigger', () => {
    expect(findings(all.app)).toEqual([]);
  });

  it('creates each named resource once, on first use', () => {
    template.resourceCountIs('AWS::DynamoDB::Table', 1);
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      StreamSpecification: { StreamViewType: 'NEW_AND_OLD_IMAGES' },
    });
    template.resourceCountIs('AWS::Events::EventBus', 1);
    template.resourceCountIs('AWS::Cognito::UserPool', 1);
    template.resourceCountIs('AWS::ApiGatewayV2::Api', 1);
    template.resourceCountIs('AWS::Lambda::Function', everyTrigger.length);
    template.hasResourceProperties('AWS::SQS::Queue', { FifoQueue: true });
    template.hasOutput('ApiUrl', Match.anyValue());
  });

  it('wires each trigger, the JWT authorizer set by the first route that asks for it', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Route', {
      RouteKey: 'POST /payments/webhook',
      AuthorizationType: 'NONE',
    });
    template.hasResourceProperties('AWS::ApiGatewayV2::Route', {
      RouteKey: 'GET /profile',
      AuthorizationType: 'JWT',
    });
    template.resourceCountIs('AWS::Lambda::EventSourceMapping', 3);
    template.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'cron(0 3 * * ? *)' });
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: { source: ['ferrule.payments'], 'detail-type': ['PaymentSettled'] },
    });
    template.hasResourceProperties('AWS::Cognito::UserPool', {
      LambdaConfig: Match.objectLike({ PreSignUp: Match.anyValue(), PostConfirmation: Match.anyValue() }),
    });
  });

  it('refuses a queue consumed twice, a queue asked as FIFO and standard, and a second user pool for the API', () => {
    const consumer = (crate: string): ServiceFunction => ({
      service: 'functions',
      wire: (stack) => stack.resources.queue('jobs').addConsumer(stack.addFunction(crate, { crate })),
    });
    expect(() => app([consumer('a'), consumer('b')])).toThrow(
      /already consumed by a; one queue has one consumer/,
    );
    expect(() =>
      app([
        { service: 'functions', wire: (stack) => stack.resources.queue('jobs') },
        { service: 'functions', wire: (stack) => stack.resources.queue('jobs', { fifo: true }) },
      ]),
    ).toThrow(/queue jobs is a standard queue, but a function asks for a FIFO one/);
    expect(() =>
      app([
        { service: 'functions', wire: (stack) => stack.resources.httpApi({ userPool: 'users' }) },
        { service: 'functions', wire: (stack) => stack.resources.httpApi({ userPool: 'staff' }) },
      ]),
    ).toThrow(/trusts tokens of the user pool users, and a route asks for staff/);
  });

  it('refuses a service the app does not have', () => {
    expect(() => app([{ service: 'billing', wire: () => undefined }])).toThrow(
      /names the service billing, which the app does not have/,
    );
  });

  it.runIf(appFunctions.length > 0)('passes the rule packs for the app’s own functions', () => {
    expect(findings(app(appFunctions).app)).toEqual([]);
  });
});

describe('a function added to the orders service', () => {
  /** The request of the add-function skill: a nightly query of orders by status, published to the bus. */
  const digest: ServiceFunction = {
    service: 'orders',
    wire: (stack) => {
      const fn = stack.addFunction('OrderDigest', {
        crate: 'order-digest',
        uses: {
          tables: [{ table: stack.resources.table('orders').table, actions: ['Query'], env: 'ORDERS_TABLE' }],
          buses: [{ bus: stack.resources.bus('orders'), env: 'ORDERS_BUS' }],
        },
      });
      new FerruleRule(stack, 'OrderDigestRule', {
        service: stack.service,
        target: fn,
        schedule: events.Schedule.expression('cron(0 3 * * ? *)'),
      });
    },
  };
  const built = app([digest]);
  const template = Template.fromStack(built.orders);

  it('uses the service’s own table and bus, with exactly the declared actions', () => {
    template.resourceCountIs('AWS::DynamoDB::Table', 1);
    template.resourceCountIs('AWS::Events::EventBus', 1);
    const fn = built.orders.node.findChild('OrderDigest');
    const grants = (
      fn as unknown as { declaredGrants(): { actions: string[]; reason: string }[] }
    ).declaredGrants();
    const actions = grants
      .flatMap((g) => g.actions)
      .filter((a) => !a.startsWith('logs:') && !a.startsWith('xray:'));
    expect(actions.sort()).toEqual(['dynamodb:Query', 'events:PutEvents', 'sqs:SendMessage'].sort());
    expect(built.functions).toBeUndefined();
  });

  it('passes the rule packs', () => {
    expect(findings(built.app)).toEqual([]);
  });

  it('refuses a resource the service does not have, naming what it has', () => {
    expect(() => app([{ service: 'orders', wire: (stack) => stack.resources.table('payments') }])).toThrow(
      /the service has no table named payments; it has orders/,
    );
    expect(() => app([{ service: 'orders', wire: (stack) => stack.resources.queue('jobs') }])).toThrow(
      /no queue named jobs; it has fulfillment/,
    );
  });

  it('registers what the service catalog says it offers (what `ferrule new function --service orders` checks)', () => {
    const offer = serviceCatalog().orders;
    const names = built.orders.resources.names();
    expect(names.tables).toEqual(Object.keys(offer?.tables ?? {}));
    expect(names.queues).toEqual(Object.keys(offer?.queues ?? {}));
    expect(names.buses).toEqual(offer?.buses);
    expect(names.userPools).toEqual(offer?.userPools);
    expect(names.httpApi).toBe(offer?.httpApi !== undefined);
  });
});
