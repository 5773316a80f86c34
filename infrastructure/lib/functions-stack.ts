import { CfnOutput, Duration, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type { Construct, IConstruct } from 'constructs';
import { FerruleRule } from './event-rule.ts';
import { FerruleHttpApi } from './http-api.ts';
import { lambdaArchitecture, type Platform } from './platform.ts';
import { ignoreInCfnLint } from './private/cfn-lint.ts';
import { publicClient, secureUserPool } from './private/user-pool.ts';
import { FerruleQueue } from './queue.ts';
import { RustFunction } from './rust-function.ts';
import { FerruleService, type Stage } from './service.ts';
import { FerruleTable } from './table.ts';
import type { QueueAccess, TableAccess, TableAction } from './uses.ts';

/** How a declared function is invoked. Resources are named; the stack creates each on first use. */
export type FunctionTrigger =
  | {
      readonly type: 'http';
      /** `"<METHOD> <path>"`, for example `POST /payments/{id}`. */
      readonly routes: readonly string[];
      /** `'none'`: a public route. `{ userPool }`: a Cognito JWT authorizer on that pool's web client. */
      readonly auth: 'none' | { readonly userPool: string };
    }
  | {
      readonly type: 'sqs';
      readonly queue: string;
      /** @default false */
      readonly fifo?: boolean;
      /** @default 10 */
      readonly batchSize?: number;
    }
  | { readonly type: 'dynamodb-stream'; readonly table: string }
  | {
      readonly type: 'eventbridge';
      /** @default the account's default bus */
      readonly bus?: string;
      readonly pattern: events.EventPattern;
    }
  | {
      readonly type: 'schedule';
      /** `rate(1 hour)` or `cron(0 3 * * ? *)`. */
      readonly schedule: string;
    }
  | {
      readonly type: 'cognito';
      readonly userPool: string;
      readonly operation: 'pre-sign-up' | 'post-confirmation';
    };

/** What a declared function touches, by resource name; each entry becomes a `uses` declaration. */
export interface DeclaredUses {
  /** @default - none */
  readonly tables?: readonly {
    readonly table: string;
    /** An action set; give this or `actions` (see `TableUse`). */
    readonly access?: TableAccess;
    /** The DynamoDB actions the code calls, e.g. `['GetItem', 'PutItem']`. */
    readonly actions?: readonly TableAction[];
    /** Indexes the code queries or scans by name. */
    readonly indexes?: readonly string[];
    readonly env?: string;
  }[];
  /** @default - none */
  readonly queues?: readonly {
    readonly queue: string;
    readonly access: QueueAccess;
    readonly env?: string;
  }[];
  /** Buses the function publishes to. @default - none */
  readonly buses?: readonly { readonly bus: string; readonly env?: string }[];
}

/** One function of `infrastructure/functions/<name>.ts`. */
export interface FunctionDeclaration {
  /** The crate in backend/functions/. */
  readonly crate: string;
  /** @default - none */
  readonly description?: string;
  readonly trigger: FunctionTrigger;
  /** @default - nothing beyond its log group and X-Ray */
  readonly uses?: DeclaredUses;
  /** @default 10 (5 for Cognito triggers, Cognito's own limit) */
  readonly timeoutSeconds?: number;
  /** @default 256 */
  readonly memorySize?: number;
  /** Plain configuration values. @default - none */
  readonly environment?: Readonly<Record<string, string>>;
}

export interface FerruleFunctionsStackProps extends StackProps {
  /** Runtime and architecture the artifacts were built for. */
  readonly platform: Platform;
  /** The declarations, usually `functions` of infrastructure/functions/index.ts. */
  readonly functions: readonly FunctionDeclaration[];
  /** @default context `ferrule:stage`, else 'dev' */
  readonly stage?: Stage;
  /** @default the app's WorkspaceBuild folder */
  readonly artifactsDir?: string;
  /** @default 'functions' */
  readonly serviceName?: string;
}

const FAILURE_QUEUE_REASON =
  'This queue is itself the last stop for failures (dead-letter or on-failure queue, 14-day retention, alarmed on any message); it is not consumed, so it has no dead-letter queue of its own.';

/**
 * The functions made with `ferrule new function`, each wired from its declaration: the
 * named tables (pk/sk strings, stream when one is read), queues with dead-letter queues,
 * buses, one HTTP API, schedules and user pools are created once, on first use, and each
 * function gets exactly what its trigger and `uses` need. The findings the rule packs raise
 * on this wiring are reviewed once here, with their reasons.
 */
export class FerruleFunctionsStack extends Stack {
  readonly service: FerruleService;
  /** The functions, by crate name. */
  readonly functions: ReadonlyMap<string, RustFunction>;
  readonly tables = new Map<string, FerruleTable>();
  readonly queues = new Map<string, FerruleQueue>();
  readonly buses = new Map<string, events.EventBus>();
  readonly userPools = new Map<string, { pool: cognito.UserPool; client: cognito.UserPoolClient }>();
  http?: FerruleHttpApi;

  private readonly lastStops: IConstruct[] = [];
  /** The user pool whose tokens the HTTP API accepts (one API, so at most one pool). */
  private readonly apiUserPool?: string;

  constructor(scope: Construct, id: string, props: FerruleFunctionsStackProps) {
    super(scope, id, props);
    this.service = new FerruleService(this, 'Service', {
      serviceName: props.serviceName ?? 'functions',
      stage: props.stage,
    });
    const seen = new Set<string>();
    for (const decl of props.functions) {
      if (seen.has(decl.crate)) {
        throw new Error(`FerruleFunctionsStack ${id}: ${decl.crate} is declared twice; keep one declaration`);
      }
      seen.add(decl.crate);
    }
    // Tables whose stream a function reads need one; the others go without.
    const streamed = new Set(
      props.functions.flatMap((d) => (d.trigger.type === 'dynamodb-stream' ? [d.trigger.table] : [])),
    );

    const apiPools = new Set(
      props.functions.flatMap((d) =>
        d.trigger.type === 'http' && d.trigger.auth !== 'none' ? [d.trigger.auth.userPool] : [],
      ),
    );
    if (apiPools.size > 1) {
      throw new Error(
        `FerruleFunctionsStack ${id}: HTTP routes name the user pools ${[...apiPools].join(', ')}, but the stack has one HTTP API with one JWT authorizer; use one user pool for every authorized route`,
      );
    }
    this.apiUserPool = [...apiPools][0];

    const functions = new Map<string, RustFunction>();
    for (const decl of props.functions) {
      const fn = new RustFunction(this, pascal(decl.crate), {
        crate: decl.crate,
        service: this.service,
        runtime: props.platform.runtime,
        architecture: lambdaArchitecture(props.platform.architecture),
        artifactsDir: props.artifactsDir,
        description: decl.description,
        timeout: Duration.seconds(decl.timeoutSeconds ?? (decl.trigger.type === 'cognito' ? 5 : 10)),
        memorySize: decl.memorySize,
        environment: decl.environment,
      });
      functions.set(decl.crate, fn);
    }
    this.functions = functions;

    // Queues first: a consumed queue's visibility timeout derives from its consumer.
    for (const decl of props.functions) {
      if (decl.trigger.type !== 'sqs') continue;
      const fn = this.fn(decl);
      const queue = this.queue(decl.trigger.queue, decl.trigger.fifo ?? false, fn, decl.trigger.batchSize);
      ack(
        queue,
        'Serverless-LambdaEventSourceMappingDestination',
        "SQS mappings do not support on-failure destinations; the queue's redrive policy moves failed messages to its dead-letter queue.",
      );
      ack(
        fn,
        'Serverless-LambdaDLQ',
        "Invoked by an SQS mapping: failed messages move to the queue's dead-letter queue after 5 receives.",
      );
      // SQS mappings have no on-failure destination; the queue's redrive policy is the destination.
      ignoreInCfnLint('FerruleFunctionsStack', queue.eventSourceMapping as IConstruct, ['ES1001']);
    }

    for (const decl of props.functions) {
      const fn = this.fn(decl);
      const uses = decl.uses ?? {};
      fn.addUses({
        tables: (uses.tables ?? []).map((use) => ({
          table: this.table(use.table, streamed.has(use.table)).table,
          access: use.access,
          actions: use.actions,
          indexes: use.indexes,
          env: use.env,
        })),
        queues: (uses.queues ?? []).map((use) => ({
          queue: this.queue(use.queue, false).queue,
          access: use.access,
          env: use.env,
        })),
        buses: (uses.buses ?? []).map((use) => ({ bus: this.bus(use.bus), env: use.env })),
      });
      for (const use of uses.tables ?? []) {
        // The read shorthand queries every index unless the declaration names them.
        if ((use.access === 'read' || use.access === 'read-write') && use.indexes === undefined) {
          ack(
            fn.role,
            `AwsSolutions-IAM5[Resource::<${this.logicalIdOf(this.table(use.table, false).table)}.Arn>/index/*]`,
            `Read access covers the ${use.table} table's own indexes only (\`<table ARN>/index/*\`); the pattern cannot reach another table.`,
          );
        }
      }
      this.wireTrigger(decl, fn, streamed);
    }

    for (const queue of this.lastStops) {
      ack(queue, 'AwsSolutions-SQS3', FAILURE_QUEUE_REASON);
      ack(queue, 'Serverless-SQSRedrivePolicy', FAILURE_QUEUE_REASON);
      // cfn-lint-serverless makes the same check (ES6000).
      ignoreInCfnLint('FerruleFunctionsStack', queue, ['ES6000']);
    }
    if (this.http) new CfnOutput(this, 'ApiUrl', { value: this.http.url });
  }

  private fn(decl: FunctionDeclaration): RustFunction {
    const fn = this.functions.get(decl.crate);
    if (!fn) throw new Error(`FerruleFunctionsStack: no function ${decl.crate}`);
    return fn;
  }

  private wireTrigger(decl: FunctionDeclaration, fn: RustFunction, streamed: ReadonlySet<string>): void {
    const trigger = decl.trigger;
    switch (trigger.type) {
      case 'sqs':
        return;
      case 'http': {
        const api = this.api();
        for (const route of trigger.routes) {
          const [method, path] = parseRoute(decl.crate, route);
          const routes = api.addRoute(path, fn, { methods: [method], authorized: trigger.auth !== 'none' });
          if (trigger.auth === 'none') {
            for (const r of routes) {
              ack(
                r,
                'AwsSolutions-APIG4',
                `Declared public (auth: 'none') in infrastructure/functions/${decl.crate}.ts: the function authenticates the caller itself (a webhook signature, for example) or the route is meant to be open.`,
              );
            }
          }
        }
        ack(
          fn,
          'Serverless-LambdaDLQ',
          'Invoked synchronously by API Gateway: the caller gets the error; a dead-letter queue applies to asynchronous invocations only.',
        );
        return;
      }
      case 'dynamodb-stream': {
        const table = this.table(trigger.table, streamed.has(trigger.table));
        const consumer = table.addStreamConsumer(fn);
        this.lastStops.push(consumer.onFailure);
        ack(
          fn.role,
          `AwsSolutions-IAM5[Resource::<${this.logicalIdOf(table.table)}.Arn>/stream/*]`,
          `dynamodb:ListStreams is scoped to the ${trigger.table} table's streams (\`<table ARN>/stream/*\`), whose label changes when the stream is re-created.`,
        );
        ack(
          fn,
          'Serverless-LambdaDLQ',
          "Invoked by a DynamoDB Streams mapping: failed records go to the mapping's on-failure queue, not a function DLQ.",
        );
        return;
      }
      case 'eventbridge':
      case 'schedule': {
        const rule = new FerruleRule(this, `${pascal(decl.crate)}Rule`, {
          service: this.service,
          target: fn,
          ...(trigger.type === 'schedule'
            ? { schedule: events.Schedule.expression(trigger.schedule) }
            : {
                eventPattern: trigger.pattern,
                eventBus: trigger.bus ? this.bus(trigger.bus) : undefined,
              }),
          description: `${trigger.type === 'schedule' ? trigger.schedule : 'events'} to ${decl.crate}`,
        });
        this.lastStops.push(rule.deadLetterQueue, fn.asyncFailureQueue());
        ack(
          fn,
          'Serverless-LambdaDLQ',
          'Asynchronous failures go to an on-failure destination (AsyncFailures queue, EventInvokeConfig), which also records the error; a DLQ would duplicate it.',
        );
        // False positive: the EventInvokeConfig names the function by Ref, the permission by ARN,
        // and ES1007 compares the two literally.
        for (const permission of rule.node.findAll()) {
          if (permission instanceof lambda.CfnPermission)
            ignoreInCfnLint('FerruleFunctionsStack', permission, ['ES1007']);
        }
        return;
      }
      case 'cognito': {
        const { pool } = this.userPool(trigger.userPool);
        fn.addUserPoolTrigger(
          pool,
          trigger.operation === 'pre-sign-up'
            ? cognito.UserPoolOperation.PRE_SIGN_UP
            : cognito.UserPoolOperation.POST_CONFIRMATION,
        );
        ack(
          fn,
          'Serverless-LambdaDLQ',
          'Invoked synchronously by Cognito: the user sees the failure; a dead-letter queue applies to asynchronous invocations only.',
        );
        return;
      }
    }
  }

  private table(name: string, stream: boolean): FerruleTable {
    let table = this.tables.get(name);
    if (!table) {
      table = new FerruleTable(this, `${pascal(name)}Table`, {
        service: this.service,
        partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
        sortKey: { name: 'sk', type: dynamodb.AttributeType.STRING },
        stream: stream ? dynamodb.StreamViewType.NEW_AND_OLD_IMAGES : undefined,
      });
      this.tables.set(name, table);
    }
    return table;
  }

  private queue(name: string, fifo: boolean, consumer?: RustFunction, batchSize?: number): FerruleQueue {
    let queue = this.queues.get(name);
    if (queue && consumer) {
      throw new Error(
        `FerruleFunctionsStack: queue ${name} is consumed by ${queue.consumer?.crate ?? 'another function'} already; one queue has one consumer`,
      );
    }
    if (!queue) {
      queue = new FerruleQueue(this, `${pascal(name)}Queue`, {
        service: this.service,
        fifo,
        consumer,
        batchSize,
      });
      this.queues.set(name, queue);
      ack(
        queue.deadLetterQueue,
        'Serverless-SQSRedrivePolicy',
        "The queue's dead-letter queue is the last stop (14-day retention, alarmed on any message); it has no dead-letter queue of its own.",
      );
      ignoreInCfnLint('FerruleFunctionsStack', queue.deadLetterQueue, ['ES6000']);
    }
    return queue;
  }

  private bus(name: string): events.EventBus {
    let bus = this.buses.get(name);
    if (!bus) {
      bus = new events.EventBus(this, `${pascal(name)}Bus`, {
        eventBusName: `${name}-${this.service.stage}`,
      });
      this.buses.set(name, bus);
    }
    return bus;
  }

  private api(): FerruleHttpApi {
    if (!this.http) {
      const pool = this.apiUserPool === undefined ? undefined : this.userPool(this.apiUserPool);
      this.http = new FerruleHttpApi(this, 'Http', {
        service: this.service,
        description: `Ferrule functions API (${this.service.stage})`,
        jwt: pool ? { userPool: pool.pool, userPoolClients: [pool.client] } : undefined,
      });
    }
    return this.http;
  }

  private userPool(name: string): { pool: cognito.UserPool; client: cognito.UserPoolClient } {
    let entry = this.userPools.get(name);
    if (!entry) {
      const pool = secureUserPool(this, `${pascal(name)}UserPool`, this.service);
      const client = publicClient(pool);
      ack(
        pool,
        'AwsSolutions-COG2',
        'Users sign up themselves: MFA (TOTP) is offered, not forced; forcing it is a product decision and SMS MFA costs per message.',
      );
      ack(
        pool,
        'AwsSolutions-COG8',
        'The Plus feature plan (threat protection) is billed per monthly active user; scaffolded pools stay on Essentials.',
      );
      entry = { pool, client };
      this.userPools.set(name, entry);
    }
    return entry;
  }

  private logicalIdOf(construct: IConstruct): string {
    return this.getLogicalId((construct.node.defaultChild ?? construct) as never);
  }
}

const METHODS: Readonly<Record<string, apigwv2.HttpMethod>> = {
  GET: apigwv2.HttpMethod.GET,
  POST: apigwv2.HttpMethod.POST,
  PUT: apigwv2.HttpMethod.PUT,
  PATCH: apigwv2.HttpMethod.PATCH,
  DELETE: apigwv2.HttpMethod.DELETE,
};

function parseRoute(crate: string, route: string): [apigwv2.HttpMethod, string] {
  const [verb = '', path = '', ...rest] = route.trim().split(/\s+/);
  const method = METHODS[verb];
  if (!method || !path.startsWith('/') || rest.length > 0) {
    throw new Error(
      `FerruleFunctionsStack: ${crate}: route "${route}" must be "<METHOD> <path>" with GET, POST, PUT, PATCH or DELETE, for example "POST /payments/{id}"`,
    );
  }
  return [method, path];
}

function ack(scope: IConstruct, id: string, reason: string): void {
  Validations.of(scope).acknowledge({ id, reason });
}

/** payments-webhook → PaymentsWebhook (construct ids). */
function pascal(name: string): string {
  return name.replace(/(^|-)([a-z0-9])/g, (_, __, c: string) => c.toUpperCase());
}
