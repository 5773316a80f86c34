import { Duration } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { describe, expect, it } from 'vitest';
import {
  FerruleHttpApi,
  FerruleQueue,
  FerruleRule,
  FerruleService,
  FerruleTable,
  RustFunction,
  TableStreamConsumer,
} from '../lib/index.ts';
import { grantPairs, policyPairs, testStack } from './helpers.ts';

describe('FerruleHttpApi', () => {
  function api(props: ConstructorParameters<typeof FerruleHttpApi>[2] = {}) {
    const { stack } = testStack();
    const pool = new cognito.UserPool(stack, 'Users');
    const client = pool.addClient('Web');
    const fn = new RustFunction(stack, 'Api', { crate: 'api' });
    const http = new FerruleHttpApi(stack, 'Http', {
      jwt: { userPool: pool, userPoolClients: [client] },
      ...props,
    });
    return { stack, pool, client, fn, http };
  }

  it('authorizes routes with a JWT authorizer on the Cognito user pool client by default', () => {
    const { stack, fn, http } = api();
    http.addRoute('/orders', fn, { methods: [apigwv2.HttpMethod.GET, apigwv2.HttpMethod.POST] });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
      AuthorizerType: 'JWT',
      IdentitySource: ['$request.header.Authorization'],
      JwtConfiguration: {
        Issuer: {
          'Fn::Join': [
            '',
            ['https://cognito-idp.eu-west-1.amazonaws.com/', { Ref: Match.stringLikeRegexp('^Users') }],
          ],
        },
        Audience: [{ Ref: Match.stringLikeRegexp('^UsersWeb') }],
      },
    });
    template.resourceCountIs('AWS::ApiGatewayV2::Route', 2);
    for (const key of ['GET /orders', 'POST /orders']) {
      template.hasResourceProperties('AWS::ApiGatewayV2::Route', {
        RouteKey: key,
        AuthorizationType: 'JWT',
        AuthorizerId: { Ref: Match.stringLikeRegexp('^HttpApiJwt') },
      });
    }
  });

  it('lets a route opt out explicitly, and carries scopes on authorized routes', () => {
    const { stack, fn, http } = api();
    http.addRoute('/health', fn, { authorized: false });
    http.addRoute('/admin', fn, { scopes: ['orders/admin'] });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::ApiGatewayV2::Route', {
      RouteKey: 'GET /health',
      AuthorizationType: 'NONE',
    });
    template.hasResourceProperties('AWS::ApiGatewayV2::Route', {
      RouteKey: 'GET /admin',
      AuthorizationType: 'JWT',
      AuthorizationScopes: ['orders/admin'],
    });
  });

  it('throttles the default stage and writes JSON access logs to its own log group', () => {
    const { stack } = api({ rateLimit: 20, burstLimit: 40 });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: '$default',
      AutoDeploy: true,
      DefaultRouteSettings: { ThrottlingRateLimit: 20, ThrottlingBurstLimit: 40 },
      AccessLogSettings: {
        DestinationArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^HttpAccessLogs'), 'Arn'] },
        Format: Match.serializedJson(
          Match.objectLike({ requestId: '$context.requestId', status: '$context.status' }),
        ),
      },
    });
    template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 30 });
  });

  it('defaults to 100 requests per second with bursts of 200, and no CORS', () => {
    const { stack } = api();
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      DefaultRouteSettings: { ThrottlingRateLimit: 100, ThrottlingBurstLimit: 200 },
    });
    template.hasResourceProperties('AWS::ApiGatewayV2::Api', { CorsConfiguration: Match.absent() });
  });

  it('configures CORS from props', () => {
    const { stack } = api({
      cors: { allowOrigins: ['https://shop.example.com'], allowMethods: [apigwv2.CorsHttpMethod.GET] },
    });
    Template.fromStack(stack).hasResourceProperties('AWS::ApiGatewayV2::Api', {
      CorsConfiguration: { AllowOrigins: ['https://shop.example.com'], AllowMethods: ['GET'] },
    });
  });

  it('alarms on 5xx answers', () => {
    const { stack } = api();
    Template.fromStack(stack).hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: '5xx',
      Namespace: 'AWS/ApiGateway',
      Threshold: 1,
    });
  });

  it('grants the function nothing on its role: API Gateway invokes it through a resource policy', () => {
    const { stack, fn, http } = api();
    http.addRoute('/orders', fn);
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::Lambda::Permission', {
      Action: 'lambda:InvokeFunction',
      Principal: 'apigateway.amazonaws.com',
    });
    expect(policyPairs(template.toJSON(), stack.getLogicalId(fn.role.node.defaultChild as never))).toEqual(
      grantPairs(stack.resolve(fn.declaredGrants().filter((g) => g.origin !== 'uses'))),
    );
  });
});

describe('Cognito triggers', () => {
  it('adds the function as a user pool trigger', () => {
    const { stack } = testStack();
    const pool = new cognito.UserPool(stack, 'Users');
    const fn = new RustFunction(stack, 'PreSignUp', { crate: 'api', timeout: Duration.seconds(5) });
    fn.addUserPoolTrigger(pool, cognito.UserPoolOperation.PRE_SIGN_UP);
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::Cognito::UserPool', {
      LambdaConfig: { PreSignUp: { 'Fn::GetAtt': [Match.stringLikeRegexp('^PreSignUp'), 'Arn'] } },
    });
    template.hasResourceProperties('AWS::Lambda::Permission', { Principal: 'cognito-idp.amazonaws.com' });
  });
});

describe('FerruleRule', () => {
  it('targets the function with a retry policy and an SQS dead-letter queue', () => {
    const { stack } = testStack();
    const fn = new RustFunction(stack, 'OnOrder', { crate: 'worker' });
    new FerruleRule(stack, 'OrderPlaced', {
      target: fn,
      eventPattern: { source: ['shop.orders'], detailType: ['OrderPlaced'] },
    });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: { source: ['shop.orders'], 'detail-type': ['OrderPlaced'] },
      Targets: [
        Match.objectLike({
          Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^OnOrder'), 'Arn'] },
          RetryPolicy: { MaximumRetryAttempts: 3, MaximumEventAgeInSeconds: 3600 },
          DeadLetterConfig: {
            Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^OrderPlacedDeadLetters'), 'Arn'] },
          },
        }),
      ],
    });
    // EventBridge may send to the DLQ, and only for this rule.
    template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: 'sqs:SendMessage',
            Principal: { Service: 'events.amazonaws.com' },
            Condition: {
              ArnEquals: {
                'aws:SourceArn': { 'Fn::GetAtt': [Match.stringLikeRegexp('^OrderPlacedRule'), 'Arn'] },
              },
            },
          }),
        ]),
      },
    });
  });

  it("gives the function an on-failure queue for events it failed after Lambda's retries", () => {
    const { stack } = testStack();
    const fn = new RustFunction(stack, 'Nightly', { crate: 'worker' });
    new FerruleRule(stack, 'Schedule', {
      target: fn,
      schedule: events.Schedule.cron({ hour: '3', minute: '0' }),
    });
    new FerruleRule(stack, 'Again', { target: fn, schedule: events.Schedule.rate(Duration.hours(1)) });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'cron(0 3 * * ? *)' });
    // One async config per function however many rules target it.
    template.resourceCountIs('AWS::Lambda::EventInvokeConfig', 1);
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      MaximumRetryAttempts: 2,
      DestinationConfig: {
        OnFailure: {
          Destination: { 'Fn::GetAtt': [Match.stringLikeRegexp('^NightlyAsyncFailures'), 'Arn'] },
        },
      },
    });
    expect(
      fn
        .declaredGrants()
        .filter((g) => g.origin === 'uses')
        .map((g) => g.actions),
    ).toEqual([['sqs:SendMessage']]);
    // Two rule DLQs and the function's failure queue, each alarmed.
    template.resourceCountIs('AWS::SQS::Queue', 3);
    template.resourcePropertiesCountIs(
      'AWS::CloudWatch::Alarm',
      { MetricName: 'ApproximateNumberOfMessagesVisible' },
      3,
    );
  });

  it('takes retry attempts and maximum event age from props', () => {
    const { stack } = testStack();
    const fn = new RustFunction(stack, 'Fn', { crate: 'worker' });
    new FerruleRule(stack, 'R', {
      target: fn,
      eventPattern: { source: ['x'] },
      retryAttempts: 0,
      maxEventAge: Duration.minutes(5),
    });
    Template.fromStack(stack).hasResourceProperties('AWS::Events::Rule', {
      Targets: [
        Match.objectLike({ RetryPolicy: { MaximumRetryAttempts: 0, MaximumEventAgeInSeconds: 300 } }),
      ],
    });
  });
});

describe('FerruleQueue', () => {
  it('creates a queue and DLQ (maxReceiveCount 5), TLS only, SQS-managed encryption', () => {
    const { stack } = testStack();
    new FerruleQueue(stack, 'Jobs');
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::SQS::Queue', 2);
    template.hasResourceProperties('AWS::SQS::Queue', {
      SqsManagedSseEnabled: true,
      VisibilityTimeout: 60,
      RedrivePolicy: {
        deadLetterTargetArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^JobsDeadLetters'), 'Arn'] },
        maxReceiveCount: 5,
      },
    });
    template.hasResourceProperties('AWS::SQS::Queue', {
      SqsManagedSseEnabled: true,
      MessageRetentionPeriod: 1_209_600,
    });
    template.resourceCountIs('AWS::SQS::QueuePolicy', 2);
    template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      PolicyDocument: {
        Statement: [
          Match.objectLike({
            Effect: 'Deny',
            Action: 'sqs:*',
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          }),
        ],
      },
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [
        {
          Name: 'QueueName',
          Value: { 'Fn::GetAtt': [Match.stringLikeRegexp('^JobsDeadLetters'), 'QueueName'] },
        },
      ],
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
    });
  });

  it('consumes with partial batch failures, and derives visibility from the consumer timeout', () => {
    const { stack } = testStack();
    const worker = new RustFunction(stack, 'Worker', { crate: 'worker', timeout: Duration.seconds(30) });
    const jobs = new FerruleQueue(stack, 'Jobs', {
      consumer: worker,
      batchSize: 50,
      maxBatchingWindow: Duration.seconds(5),
      maxConcurrency: 5,
    });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::SQS::Queue', { VisibilityTimeout: 6 * 30 + 5 });
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^JobsQueue'), 'Arn'] },
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      BatchSize: 50,
      MaximumBatchingWindowInSeconds: 5,
      ScalingConfig: { MaximumConcurrency: 5 },
    });
    expect(worker.declaredGrants().filter((g) => g.origin === 'uses')).toEqual([
      expect.objectContaining({
        actions: [
          'sqs:ChangeMessageVisibility',
          'sqs:DeleteMessage',
          'sqs:GetQueueAttributes',
          'sqs:ReceiveMessage',
        ],
        resources: [jobs.queue.queueArn],
      }),
    ]);
    // The mapping waits for the role's policy: Lambda checks the permissions on creation.
    const mapping = Object.values(template.findResources('AWS::Lambda::EventSourceMapping'))[0];
    expect(mapping?.DependsOn).toEqual(
      expect.arrayContaining([expect.stringMatching(/^WorkerServiceRoleDefaultPolicy/)]),
    );
  });

  it('defaults to batches of 10 and supports FIFO queues', () => {
    const { stack } = testStack();
    const worker = new RustFunction(stack, 'Worker', { crate: 'worker' });
    new FerruleQueue(stack, 'Jobs', { consumer: worker, fifo: true });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::SQS::Queue', { FifoQueue: true, VisibilityTimeout: 60 });
    template.hasResourceProperties('AWS::SQS::Queue', { FifoQueue: true, MessageRetentionPeriod: 1_209_600 });
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', { BatchSize: 10 });
  });

  it('producers declare send on the queue', () => {
    const { stack } = testStack();
    const jobs = new FerruleQueue(stack, 'Jobs', { maxReceiveCount: 3 });
    const api = new RustFunction(stack, 'Api', {
      crate: 'api',
      uses: { queues: [{ queue: jobs.queue, access: 'send', env: 'JOBS_QUEUE_URL' }] },
    });
    expect(api.declaredGrants().find((g) => g.origin === 'uses')?.actions).toEqual(['sqs:SendMessage']);
    Template.fromStack(stack).hasResourceProperties('AWS::SQS::Queue', {
      RedrivePolicy: Match.objectLike({ maxReceiveCount: 3 }),
    });
  });
});

describe('DynamoDB streams', () => {
  it('bisects, reports item failures, bounds retries and age, and sends failures to a queue', () => {
    const { stack } = testStack();
    const orders = new FerruleTable(stack, 'Orders', {
      partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
      stream: dynamodb.StreamViewType.NEW_AND_OLD_IMAGES,
    });
    const fn = new RustFunction(stack, 'OnChange', { crate: 'worker' });
    const consumer = orders.addStreamConsumer(fn);
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^OrdersTable'), 'StreamArn'] },
      StartingPosition: 'LATEST',
      BatchSize: 100,
      BisectBatchOnFunctionError: true,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      MaximumRetryAttempts: 3,
      MaximumRecordAgeInSeconds: 86_400,
      DestinationConfig: {
        OnFailure: { Destination: { 'Fn::GetAtt': [Match.stringLikeRegexp('Failures'), 'Arn'] } },
      },
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'IteratorAge',
      Threshold: 60_000,
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Threshold: 0,
    });
    const uses = stack.resolve(fn.declaredGrants().filter((g) => g.origin === 'uses'));
    expect(uses.map((g: { actions: string[] }) => g.actions)).toEqual([
      ['dynamodb:DescribeStream', 'dynamodb:GetRecords', 'dynamodb:GetShardIterator'],
      ['dynamodb:ListStreams'],
      ['sqs:SendMessage'],
    ]);
    expect(uses[2].resources).toEqual([stack.resolve(consumer.onFailure.queueArn)]);
  });

  it('takes the options from props, including an existing on-failure queue', () => {
    const { stack } = testStack();
    const table = new dynamodb.Table(stack, 'Imported', {
      partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
      stream: dynamodb.StreamViewType.KEYS_ONLY,
    });
    const failures = new FerruleQueue(stack, 'Failures');
    const fn = new RustFunction(stack, 'OnChange', { crate: 'worker' });
    new TableStreamConsumer(stack, 'Consumer', {
      table,
      consumer: fn,
      batchSize: 10,
      retryAttempts: 1,
      maxRecordAge: Duration.hours(1),
      startingPosition: lambda.StartingPosition.TRIM_HORIZON,
      onFailure: failures.queue,
      iteratorAgeAlarmThreshold: Duration.minutes(5),
    });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      StartingPosition: 'TRIM_HORIZON',
      BatchSize: 10,
      MaximumRetryAttempts: 1,
      MaximumRecordAgeInSeconds: 3600,
      DestinationConfig: {
        OnFailure: { Destination: { 'Fn::GetAtt': [Match.stringLikeRegexp('^FailuresQueue'), 'Arn'] } },
      },
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'IteratorAge',
      Threshold: 300_000,
    });
  });
});

describe('FerruleTable', () => {
  const key = { name: 'pk', type: dynamodb.AttributeType.STRING };

  it('dev: on-demand, point-in-time recovery, KMS encryption, removed with the stack', () => {
    const { stack } = testStack();
    new FerruleTable(stack, 'Orders', { partitionKey: key });
    const template = Template.fromStack(stack);
    template.hasResource('AWS::DynamoDB::Table', {
      Properties: {
        BillingMode: 'PAY_PER_REQUEST',
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        // SSEEnabled without a key: KMS with the AWS managed key aws/dynamodb.
        SSESpecification: { SSEEnabled: true },
        DeletionProtectionEnabled: false,
      },
      DeletionPolicy: 'Delete',
      UpdateReplacePolicy: 'Delete',
    });
  });

  it('prod: deletion protection and retained with the stack', () => {
    const { stack } = testStack();
    const service = new FerruleService(stack, 'Svc', { serviceName: 'orders', stage: 'prod' });
    new FerruleTable(stack, 'Orders', { partitionKey: key, service });
    Template.fromStack(stack).hasResource('AWS::DynamoDB::Table', {
      Properties: Match.objectLike({ DeletionProtectionEnabled: true }),
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
    });
  });

  it('prod through context ferrule:stage', () => {
    const { stack } = testStack({ context: { 'ferrule:stage': 'prod' } });
    new FerruleTable(stack, 'Orders', { partitionKey: key });
    Template.fromStack(stack).hasResource('AWS::DynamoDB::Table', { DeletionPolicy: 'Retain' });
  });
});
