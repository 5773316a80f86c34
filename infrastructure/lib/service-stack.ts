import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type * as cognito from 'aws-cdk-lib/aws-cognito';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';
import { FerruleHttpApi } from './http-api.ts';
import { lambdaArchitecture, type Platform } from './platform.ts';
import { publicClient, secureUserPool } from './private/user-pool.ts';
import { FerruleQueue } from './queue.ts';
import { RustFunction, type RustFunctionProps } from './rust-function.ts';
import { FerruleService, type Stage } from './service.ts';
import { FerruleTable } from './table.ts';

export interface FerruleServiceStackProps extends StackProps {
  /** Runtime and architecture the artifacts were built for. */
  readonly platform: Platform;
  /** The service's name: log groups, dashboard, parameter paths and alarms carry it. */
  readonly serviceName: string;
  /** @default context `ferrule:stage`, else 'dev' */
  readonly stage?: Stage;
  /** @default the app's WorkspaceBuild folder (context `ferrule:artifacts`, else dist/lambda) */
  readonly artifactsDir?: string;
  /** @default - alarms are created without actions; they still show on the service's dashboard */
  readonly alarmTopic?: sns.ITopic;
  /**
   * Whether `resources` creates a table, queue, bus, user pool or HTTP API the first time a
   * function names it (a stack of scaffolded functions), or only hands out what the stack
   * registered (a service with a fixed design, such as orders) and refuses other names.
   * @default false
   */
  readonly createOnFirstUse?: boolean;
}

/** What a service's function takes: `RustFunctionProps` without what the stack supplies. */
export type ServiceFunctionProps = Omit<
  RustFunctionProps,
  'service' | 'runtime' | 'architecture' | 'artifactsDir'
>;

/**
 * One function's CDK wiring, as `ferrule new function` writes it in
 * `infrastructure/functions/<name>.ts`: the service it belongs to, and the code that adds it to
 * that service's stack with the same constructs the reference service uses.
 */
export interface ServiceFunction {
  /** `orders` (the reference service) or `functions` (the stack of scaffolded functions). */
  readonly service: string;
  readonly wire: (stack: FerruleServiceStack) => void;
}

/**
 * A stack holding one service: its `FerruleService` (dashboard, alarms, parameters, secrets),
 * its functions (`addFunction`, built for the stack's platform) and the shared resources its
 * functions reach by name (`resources`). `OrdersStack` is one; the stack of scaffolded
 * functions is another. A function added in `infrastructure/functions/<name>.ts` is wired into
 * either the same way.
 */
export class FerruleServiceStack extends Stack {
  readonly service: FerruleService;
  readonly platform: Platform;
  /** The tables, queues, buses, user pools and HTTP API this service's functions share, by name. */
  readonly resources: ServiceResources;
  private readonly artifactsDir?: string;

  constructor(scope: Construct, id: string, props: FerruleServiceStackProps) {
    super(scope, id, props);
    this.platform = props.platform;
    this.artifactsDir = props.artifactsDir;
    this.service = new FerruleService(this, 'Service', {
      serviceName: props.serviceName,
      stage: props.stage,
      alarmTopic: props.alarmTopic,
    });
    this.resources = new ServiceResources(this, props.createOnFirstUse ?? false);
  }

  /** A `RustFunction` of this service, built for the stack's platform. */
  addFunction(id: string, props: ServiceFunctionProps): RustFunction {
    return new RustFunction(this, id, {
      ...props,
      service: this.service,
      runtime: this.platform.runtime,
      architecture: lambdaArchitecture(this.platform.architecture),
      artifactsDir: this.artifactsDir,
    });
  }
}

type Kind = 'table' | 'queue' | 'bus' | 'user pool';

/**
 * The resources of a service that its functions reach by name: `resources.table('orders')`.
 * A service registers what it creates; a stack with `createOnFirstUse` creates the rest with
 * Ferrule's defaults (construct ids `<Name>Table`, `<Name>Queue`, `<Name>Bus`, `<Name>UserPool`,
 * `Http`).
 */
export class ServiceResources {
  private readonly tables = new Map<string, FerruleTable>();
  private readonly queues = new Map<string, FerruleQueue>();
  private readonly buses = new Map<string, events.IEventBus>();
  private readonly userPools = new Map<
    string,
    { readonly pool: cognito.UserPool; readonly client: cognito.UserPoolClient }
  >();
  private api?: FerruleHttpApi;
  private apiUserPool?: string;

  constructor(
    private readonly stack: FerruleServiceStack,
    readonly createOnFirstUse: boolean,
  ) {}

  registerTable(name: string, table: FerruleTable): void {
    this.register('table', this.tables, name, table);
  }

  registerQueue(name: string, queue: FerruleQueue): void {
    this.register('queue', this.queues, name, queue);
  }

  registerBus(name: string, bus: events.IEventBus): void {
    this.register('bus', this.buses, name, bus);
  }

  registerUserPool(name: string, pool: cognito.UserPool, client: cognito.UserPoolClient): void {
    this.register('user pool', this.userPools, name, { pool, client });
  }

  /** The service's HTTP API; `userPool` names the pool its JWT authorizer trusts. */
  registerHttpApi(api: FerruleHttpApi, userPool?: string): void {
    if (this.api) throw new Error(`${this.owner}: the service has an HTTP API already; a service has one`);
    this.api = api;
    this.apiUserPool = userPool;
  }

  /** Names of what the service has, for messages and the scaffolder. */
  names(): { tables: string[]; queues: string[]; buses: string[]; userPools: string[]; httpApi: boolean } {
    return {
      tables: [...this.tables.keys()],
      queues: [...this.queues.keys()],
      buses: [...this.buses.keys()],
      userPools: [...this.userPools.keys()],
      httpApi: this.api !== undefined,
    };
  }

  /**
   * The table `name`. Created on first use: `pk`/`sk` string keys, and a stream of new and old
   * images, so a stream consumer can be wired in any file order (a stream costs nothing until
   * it is read).
   */
  table(name: string): FerruleTable {
    return this.get('table', this.tables, name, () => {
      return new FerruleTable(this.stack, `${pascal(name)}Table`, {
        service: this.stack.service,
        partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
        sortKey: { name: 'sk', type: dynamodb.AttributeType.STRING },
        stream: dynamodb.StreamViewType.NEW_AND_OLD_IMAGES,
      });
    });
  }

  /** The queue `name` (with its dead-letter queue); created on first use, FIFO if asked. */
  queue(name: string, options: { readonly fifo?: boolean } = {}): FerruleQueue {
    const queue = this.get(
      'queue',
      this.queues,
      name,
      () =>
        new FerruleQueue(this.stack, `${pascal(name)}Queue`, {
          service: this.stack.service,
          fifo: options.fifo,
        }),
    );
    if (options.fifo !== undefined && queue.fifo !== options.fifo) {
      throw new Error(
        `${this.owner}: queue ${name} is ${queue.fifo ? 'a FIFO' : 'a standard'} queue, but a function asks for ${options.fifo ? 'a FIFO' : 'a standard'} one; use one kind for the queue in every file`,
      );
    }
    return queue;
  }

  /** The event bus `name`; created on first use as `<name>-<stage>`. */
  bus(name: string): events.IEventBus {
    return this.get(
      'bus',
      this.buses,
      name,
      () =>
        new events.EventBus(this.stack, `${pascal(name)}Bus`, {
          eventBusName: `${name}-${this.stack.service.stage}`,
        }),
    );
  }

  /** The Cognito user pool `name` and its public web client; created on first use. */
  userPool(name: string): { readonly pool: cognito.UserPool; readonly client: cognito.UserPoolClient } {
    return this.get('user pool', this.userPools, name, () => {
      const pool = secureUserPool(this.stack, `${pascal(name)}UserPool`, this.stack.service);
      return { pool, client: publicClient(pool) };
    });
  }

  /**
   * The service's HTTP API, created on first use (with an `ApiUrl` output). `userPool` asks for
   * routes authorized by a JWT of that pool's web client: the API's authorizer is set to it if it
   * has none; an API trusts one pool.
   */
  httpApi(options: { readonly userPool?: string } = {}): FerruleHttpApi {
    if (!this.api) {
      if (!this.createOnFirstUse) {
        throw new Error(
          `${this.owner}: the service has no HTTP API; create a FerruleHttpApi and register it`,
        );
      }
      const api = new FerruleHttpApi(this.stack, 'Http', {
        service: this.stack.service,
        description: `Ferrule ${this.stack.service.serviceName} API (${this.stack.service.stage})`,
      });
      new CfnOutput(this.stack, 'ApiUrl', { value: api.url });
      this.api = api;
    }
    const wanted = options.userPool;
    if (wanted !== undefined && this.apiUserPool !== wanted) {
      if (this.apiUserPool !== undefined) {
        throw new Error(
          `${this.owner}: the HTTP API trusts tokens of the user pool ${this.apiUserPool}, and a route asks for ${wanted}; an API has one JWT authorizer, so use ${this.apiUserPool}`,
        );
      }
      const { pool, client } = this.userPool(wanted);
      this.api.authorizeWith({ userPool: pool, userPoolClients: [client] });
      this.apiUserPool = wanted;
    }
    return this.api;
  }

  private get owner(): string {
    return `${this.stack.node.id} (service ${this.stack.service.serviceName})`;
  }

  private register<T>(kind: Kind, map: Map<string, T>, name: string, resource: T): void {
    if (map.has(name)) throw new Error(`${this.owner}: a ${kind} named ${name} is registered already`);
    map.set(name, resource);
  }

  private get<T>(kind: Kind, map: Map<string, T>, name: string, create: () => T): T {
    const found = map.get(name);
    if (found) return found;
    if (!this.createOnFirstUse) {
      const known = [...map.keys()];
      throw new Error(
        `${this.owner}: the service has no ${kind} named ${name}; ${known.length > 0 ? `it has ${known.join(', ')}` : `it has no ${kind}`}`,
      );
    }
    if (!/^[a-z][a-z0-9-]*$/.test(name)) {
      throw new Error(
        `${this.owner}: ${kind} name "${name}" must be kebab-case (a-z, 0-9, -), starting with a letter`,
      );
    }
    const created = create();
    map.set(name, created);
    return created;
  }
}

/** payments-webhook → PaymentsWebhook (construct ids). */
export function pascal(name: string): string {
  return name.replace(/(^|-)([a-z0-9])/g, (_, __, c: string) => c.toUpperCase());
}

/**
 * Adds each function to its service's stack: `services` maps a service name to its stack;
 * `createStack` makes the stack of a service not in it (the stack of scaffolded functions),
 * once, when a function names it.
 */
export function wireFunctions(
  functions: readonly ServiceFunction[],
  services: ReadonlyMap<string, FerruleServiceStack>,
  createStack: (service: string) => FerruleServiceStack | undefined,
): Map<string, FerruleServiceStack> {
  const stacks = new Map(services);
  for (const fn of functions) {
    let stack = stacks.get(fn.service);
    if (!stack) {
      stack = createStack(fn.service);
      if (!stack) {
        throw new Error(
          `a function in infrastructure/functions names the service ${fn.service}, which the app does not have; use one of ${[...stacks.keys()].join(', ')} or functions`,
        );
      }
      stacks.set(fn.service, stack);
    }
    fn.wire(stack);
  }
  return stacks;
}
