import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { functions as appFunctions } from '../functions/index.ts';
import {
  Adr002Checks,
  FerruleFunctionsStack,
  type FunctionDeclaration,
  parsePlatform,
  WorkspaceBuild,
} from '../lib/index.ts';
import { fakeArtifacts } from './helpers.ts';

const platform = parsePlatform('al2023-x86_64');

/** One declaration per trigger, as `ferrule new function` writes them. */
const everyTrigger: FunctionDeclaration[] = [
  {
    crate: 'payments-webhook',
    trigger: { type: 'http', routes: ['POST /payments/webhook'], auth: 'none' },
    uses: { tables: [{ table: 'payments', access: 'read-write', env: 'PAYMENTS_TABLE' }] },
  },
  {
    crate: 'profile-api',
    trigger: { type: 'http', routes: ['GET /profile'], auth: { userPool: 'users' } },
  },
  {
    crate: 'payments-worker',
    trigger: { type: 'sqs', queue: 'payments' },
    uses: { queues: [{ queue: 'receipts', access: 'send', env: 'RECEIPTS_QUEUE_URL' }] },
  },
  { crate: 'ledger', trigger: { type: 'sqs', queue: 'ledger', fifo: true } },
  {
    crate: 'payments-stream',
    trigger: { type: 'dynamodb-stream', table: 'payments' },
    uses: { buses: [{ bus: 'payments', env: 'PAYMENTS_BUS' }] },
  },
  {
    crate: 'payment-events',
    trigger: {
      type: 'eventbridge',
      bus: 'payments',
      pattern: { source: ['ferrule.payments'], detailType: ['PaymentSettled'] },
    },
  },
  { crate: 'nightly-report', trigger: { type: 'schedule', schedule: 'cron(0 3 * * ? *)' } },
  {
    crate: 'sign-up-check',
    trigger: { type: 'cognito', userPool: 'users', operation: 'pre-sign-up' },
    timeoutSeconds: 5,
  },
  {
    crate: 'welcome',
    trigger: { type: 'cognito', userPool: 'users', operation: 'post-confirmation' },
    timeoutSeconds: 5,
  },
];

function functionsApp(functions: readonly FunctionDeclaration[]) {
  const app = new App();
  const artifactsDir = fakeArtifacts(
    ['al2023-x86_64'],
    functions.map((f) => f.crate),
  );
  WorkspaceBuild.configure(app, { artifactsDir });
  const stack = new FerruleFunctionsStack(app, 'Functions', { platform, functions, artifactsDir });
  return { app, stack, template: Template.fromStack(stack) };
}

/** Each pack's unacknowledged findings, as `<rule> <construct path>`. */
function findings(app: App): string[] {
  return [new AwsSolutionsChecks(), new ServerlessChecks(), new Adr002Checks()].flatMap((pack) =>
    pack
      .validateScope(app)
      .violations.flatMap((v) => v.violatingResources.map((r) => `${v.ruleName} ${r.constructPath}`)),
  );
}

describe('FerruleFunctionsStack', () => {
  const all = functionsApp(everyTrigger);

  it('passes AwsSolutions, Serverless and the ADR-002 pack for every trigger', () => {
    expect(findings(all.app)).toEqual([]);
  });

  it('creates each named resource once, on first use', () => {
    all.template.resourceCountIs('AWS::DynamoDB::Table', 1);
    all.template.hasResourceProperties('AWS::DynamoDB::Table', {
      StreamSpecification: { StreamViewType: 'NEW_AND_OLD_IMAGES' },
    });
    all.template.resourceCountIs('AWS::Events::EventBus', 1);
    all.template.resourceCountIs('AWS::Cognito::UserPool', 1);
    all.template.resourceCountIs('AWS::ApiGatewayV2::Api', 1);
    all.template.resourceCountIs('AWS::Lambda::Function', everyTrigger.length);
    all.template.hasResourceProperties('AWS::SQS::Queue', { FifoQueue: true });
  });

  it('wires each trigger', () => {
    all.template.hasResourceProperties('AWS::ApiGatewayV2::Route', {
      RouteKey: 'POST /payments/webhook',
      AuthorizationType: 'NONE',
    });
    all.template.hasResourceProperties('AWS::ApiGatewayV2::Route', {
      RouteKey: 'GET /profile',
      AuthorizationType: 'JWT',
    });
    all.template.resourceCountIs('AWS::Lambda::EventSourceMapping', 3);
    all.template.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'cron(0 3 * * ? *)' });
    all.template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: { source: ['ferrule.payments'], 'detail-type': ['PaymentSettled'] },
    });
    all.template.hasResourceProperties('AWS::Cognito::UserPool', {
      LambdaConfig: Match.objectLike({ PreSignUp: Match.anyValue(), PostConfirmation: Match.anyValue() }),
    });
  });

  it('grants exactly the declared use and sets its environment variable', () => {
    const fn = all.stack.functions.get('payments-worker');
    const grants = fn?.declaredGrants().map((g) => g.reason) ?? [];
    expect(grants.some((reason) => /queue/.test(reason) && /send/.test(reason))).toBe(true);
    all.template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ RECEIPTS_QUEUE_URL: Match.anyValue() }) },
    });
  });

  it('refuses a function declared twice and a queue consumed twice', () => {
    const dup = everyTrigger[0] as FunctionDeclaration;
    expect(() => functionsApp([dup, dup])).toThrow(/payments-webhook is declared twice/);
    expect(() =>
      functionsApp([
        { crate: 'a', trigger: { type: 'sqs', queue: 'jobs' } },
        { crate: 'b', trigger: { type: 'sqs', queue: 'jobs' } },
      ]),
    ).toThrow(/queue jobs is consumed by a already/);
  });

  it.runIf(appFunctions.length > 0)('passes the rule packs for the app’s own declarations', () => {
    expect(findings(functionsApp(appFunctions).app)).toEqual([]);
  });
});
