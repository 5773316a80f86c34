// The local cloud: the synthesized app served on localhost. Resources are created in moto from the
// templates; functions run their built artifacts under the Runtime API emulator; HTTP APIs,
// event source mappings, rules, schedules and Cognito triggers are played as AWS plays them.
// Nothing here knows the app: everything comes from the cloud assembly (docs/local-cloud.md).
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname } from 'node:path';
import type { InvokeReport } from '@ferrule/emulator';
import { readAssembly } from './assembly.ts';
import { LocalEndpoint } from './endpoint.ts';
import { FunctionPool } from './functions.ts';
import { HttpApiServer } from './http-api.ts';
import type { ResolvedResource } from './intrinsics.ts';
import { JwtVerifier } from './jwt.ts';
import type { LogSink } from './log.ts';
import {
  type CloudModel,
  emptyModel,
  type FunctionSpec,
  type RuleSpec,
  unqualifiedFunctionArn,
} from './model.ts';
import { provision } from './provision.ts';
import { Scheduler } from './schedule.ts';
import {
  AsyncInvoker,
  RuleRelay,
  type Runner,
  type SourceContext,
  SqsMappingPoller,
  StreamMappingPoller,
} from './sources.ts';
import { LocalValues } from './values.ts';

export interface LocalCloudOptions {
  /** The cloud assembly (`cdk.out`). */
  readonly assemblyDir: string;
  /** moto's endpoint (started and stopped by the caller). */
  readonly motoEndpoint: string;
  /** The first HTTP API's port; further APIs get the next ones; 0: a free port each. @default 3000 */
  readonly port?: number;
  /** Port of the local AWS endpoint (moto behind the Cognito triggers). @default 0 (a free port) */
  readonly endpointPort?: number;
  /** @default 'eu-west-1' */
  readonly region?: string;
  /** @default '123456789012' (moto's account) */
  readonly accountId?: string;
  /** The local values file (secrets, parameter overrides). */
  readonly valuesFile: string;
  /**
   * Seconds before a message a batch reported as failed is received again. Lambda leaves it to
   * the queue's visibility timeout (minutes for a slow consumer); a local run may want it sooner.
   * @default undefined (the queue's visibility timeout, as on Lambda)
   */
  readonly sqsRetryDelaySeconds?: number;
  /** Execution environments per function. @default 4 */
  readonly maxEnvironments?: number;
  /** Where `ferrule trigger` and `ferrule token` find the running local cloud. */
  readonly stateFile?: string;
  readonly log: LogSink;
}

export class LocalCloudError extends Error {
  override readonly name = 'LocalCloudError';
}

/** What a running local cloud publishes in its state file. */
export interface LocalCloudState {
  readonly pid: number;
  readonly endpoint: string;
  readonly region: string;
  readonly apis: readonly { readonly name: string; readonly stack: string; readonly url: string }[];
  readonly userPools: readonly {
    readonly id: string;
    readonly name: string;
    readonly clients: readonly string[];
  }[];
  readonly rules: readonly { readonly name: string; readonly schedule?: string; readonly pattern?: string }[];
  /**
   * The functions served, with their settings as the local cloud runs them (the environment with
   * references resolved to local names): `ferrule invoke` runs a function the same way.
   */
  readonly functions?: readonly LocalFunctionState[];
}

/** A function of the running local cloud, as its state file publishes it. */
export type LocalFunctionState = Pick<
  FunctionSpec,
  'label' | 'crate' | 'name' | 'memoryMb' | 'timeoutSeconds' | 'environment' | 'logFormat' | 'logLevel'
>;

export class LocalCloud {
  private model: CloudModel = emptyModel();
  private resolved = new Map<string, ResolvedResource>();
  private readonly pools = new Map<string, FunctionPool>();
  private readonly servers = new Map<string, HttpApiServer>();
  private readonly runners = new Map<string, Runner>();
  private readonly apiPorts = new Map<string, number>();
  /** Watch mode: artifacts built since start, by crate, used instead of the assembly's. */
  private readonly artifactOverrides = new Map<string, string>();
  private readonly region: string;
  private readonly accountId: string;
  private readonly jwt: JwtVerifier;
  private readonly values: LocalValues;
  private readonly endpoint: LocalEndpoint;
  private asyncInvoker!: AsyncInvoker;
  private scheduler?: Scheduler;

  private constructor(private readonly options: LocalCloudOptions) {
    this.region = options.region ?? 'eu-west-1';
    this.accountId = options.accountId ?? '123456789012';
    this.jwt = new JwtVerifier(options.motoEndpoint);
    this.values = new LocalValues(options.valuesFile);
    this.endpoint = new LocalEndpoint({
      motoEndpoint: options.motoEndpoint,
      region: this.region,
      log: options.log,
      userPools: () => this.model.userPools,
      clientPools: () => this.model.clientPools,
      invoke: (arn, event) => this.invoke(arn, event),
      control: (method, path, body) => this.control(method, path, body),
      ...(options.endpointPort !== undefined ? { port: options.endpointPort } : {}),
    });
  }

  /** Provisions the app in moto and starts serving it; fails with a clear error on a taken port. */
  static async start(options: LocalCloudOptions): Promise<LocalCloud> {
    const cloud = new LocalCloud(options);
    try {
      await cloud.boot();
    } catch (error) {
      await cloud.stop();
      throw error;
    }
    return cloud;
  }

  /** The local AWS endpoint: what `AWS_ENDPOINT_URL` should be for the SDK and the AWS CLI. */
  get endpointUrl(): string {
    return this.endpoint.url;
  }

  get apis(): readonly HttpApiServer[] {
    return [...this.servers.values()];
  }

  get current(): CloudModel {
    return this.model;
  }

  /** The HTTP API URL of an API by its template name or logical id. */
  apiUrl(nameOrId: string): string {
    const api = this.model.apis.find((a) => a.name === nameOrId || a.logicalId === nameOrId);
    if (!api) throw new LocalCloudError(`no HTTP API named ${nameOrId}`);
    return `http://127.0.0.1:${api.port}`;
  }

  /** The function of an ARN, a local name, or a crate-like part of it. */
  findFunction(name: string): FunctionSpec | undefined {
    const specs = [...this.model.functions.values()];
    return (
      specs.find((f) => f.arn === name || f.name === name || f.label === name || f.logicalId === name) ??
      specs.find((f) => f.name.toLowerCase().includes(name.toLowerCase().replaceAll('-', '')))
    );
  }

  async invoke(functionArn: string, event: unknown): Promise<InvokeReport> {
    const pool = this.pools.get(unqualifiedFunctionArn(functionArn));
    if (!pool) throw new LocalCloudError(`${functionArn} is not a function the local cloud serves`);
    return pool.invoke(event);
  }

  /** Fires a schedule rule's targets now (`ferrule trigger <rule>`). */
  async trigger(ruleName: string): Promise<RuleSpec> {
    const wanted = ruleName.toLowerCase();
    const rule =
      this.model.rules.find((r) => r.name.toLowerCase() === wanted || r.logicalId.toLowerCase() === wanted) ??
      this.model.rules.find((r) => r.name.toLowerCase().includes(wanted));
    if (!rule) {
      throw new LocalCloudError(
        `no rule named ${ruleName}; rules: ${this.model.rules.map((r) => r.name).join(', ') || 'none'}`,
      );
    }
    if (!rule.schedule) {
      throw new LocalCloudError(
        `${rule.name} matches events on bus ${rule.busName} (${rule.pattern}); put such an event on the bus instead of triggering the rule`,
      );
    }
    await this.scheduler?.fire(rule);
    return rule;
  }

  /**
   * Watch mode: serves a new build of a crate. Idle environments of its functions stop now, busy
   * ones after their invocation; the next invocation cold-starts the new code.
   */
  async useArtifact(crate: string, artifact: string): Promise<string[]> {
    this.artifactOverrides.set(crate, artifact);
    const swapped: string[] = [];
    for (const [arn, spec] of this.model.functions) {
      if (spec.crate !== crate) continue;
      const updated = { ...spec, artifact };
      this.model.functions.set(arn, updated);
      await this.pools.get(arn)?.replace(updated);
      swapped.push(spec.label);
    }
    return swapped;
  }

  /** Watch mode: the re-synthesized assembly, reconciled without losing data. */
  async reload(): Promise<void> {
    const stacks = readAssembly(this.options.assemblyDir);
    await this.assignPorts(stacks);
    const model = emptyModel();
    this.resolved = await provision(stacks, model, this.provisionOptions());
    for (const [arn, spec] of model.functions) {
      const override = spec.crate ? this.artifactOverrides.get(spec.crate) : undefined;
      if (override) model.functions.set(arn, { ...spec, artifact: override });
    }
    this.model = model;
    for (const [arn, spec] of model.functions) {
      const pool = this.pools.get(arn);
      if (!pool) this.pools.set(arn, this.newPool(spec));
      else if (JSON.stringify(pool.spec) !== JSON.stringify(spec)) {
        await pool.replace(spec);
        this.options.log.info(`${spec.name}: new version serves from the next invocation`);
      }
    }
    for (const [arn, pool] of this.pools) {
      if (!model.functions.has(arn)) {
        this.pools.delete(arn);
        await pool.stop();
      }
    }
    for (const api of model.apis) {
      const server = this.servers.get(`${api.stackName}/${api.logicalId}`);
      if (server) server.setRoutes(api.routes);
      else await this.serve(api);
    }
    for (const [key, server] of this.servers) {
      if (!model.apis.some((a) => `${a.stackName}/${a.logicalId}` === key)) {
        this.servers.delete(key);
        await server.close();
      }
    }
    await this.startRunners();
    this.scheduler?.stop();
    this.scheduler = new Scheduler(() => this.model.rules, this.sourceContext(), this.asyncInvoker);
    this.scheduler.start();
    this.writeState();
  }

  /** Stops every poller, server and function process; safe to call twice. */
  async stop(): Promise<void> {
    this.scheduler?.stop();
    await Promise.all([...this.runners.values()].map((runner) => runner.stop()));
    this.runners.clear();
    await this.asyncInvoker?.stop();
    await Promise.all([...this.servers.values()].map((server) => server.close()));
    this.servers.clear();
    await Promise.all([...this.pools.values()].map((pool) => pool.stop()));
    this.pools.clear();
    await this.endpoint.close();
    if (this.options.stateFile) rmSync(this.options.stateFile, { force: true });
  }

  /** The start-up table: URLs, routes with their auth, functions, queues, rules, what is not emulated. */
  summary(): string {
    const lines: string[] = [];
    lines.push(
      `AWS endpoint   ${this.endpoint.url}   (AWS_ENDPOINT_URL for the SDK and the AWS CLI; moto behind it)`,
    );
    for (const api of this.model.apis) {
      lines.push('', `HTTP API ${api.name} (${api.stackName})   http://127.0.0.1:${api.port}`);
      for (const route of [...api.routes].sort((a, b) => a.routeKey.localeCompare(b.routeKey))) {
        const auth = route.authorizer
          ? `JWT ${route.authorizer.name}${route.scopes.length > 0 ? ` scopes ${route.scopes.join(' ')}` : ''}`
          : (route.unsupportedAuthorization ?? 'none');
        lines.push(
          `  ${route.routeKey.padEnd(32)} → ${this.functionName(route.functionArn).padEnd(40)} auth: ${auth}`,
        );
      }
    }
    lines.push('', 'Functions');
    for (const spec of this.model.functions.values()) {
      lines.push(
        `  ${spec.label.padEnd(24)} ${spec.name.padEnd(56)} ${spec.runtime} ${spec.architecture} ${spec.memoryMb} MB ${spec.timeoutSeconds} s, up to ${this.pools.get(spec.arn)?.limit ?? '?'} environments${spec.managedInstancesConcurrency ? ` × ${spec.managedInstancesConcurrency} invocations (Managed Instances)` : ''}`,
      );
    }
    if (this.model.mappings.length > 0) lines.push('', 'Event source mappings');
    for (const mapping of this.model.mappings) {
      const source =
        mapping.kind === 'sqs'
          ? `queue ${mapping.queueArn.split(':').pop()}`
          : `stream of ${mapping.streamArn.split('/')[1]}`;
      lines.push(
        `  ${source.padEnd(58)} → ${this.functionName(mapping.functionArn)} (batch ${mapping.batchSize})`,
      );
    }
    const queues = [...this.model.queues.values()].filter((q) => !q.name.startsWith('ferrule-local-'));
    if (queues.length > 0) lines.push('', 'Queues');
    for (const queue of queues) lines.push(`  ${queue.url}`);
    if (this.model.rules.length > 0) lines.push('', 'Rules');
    for (const rule of this.model.rules) {
      const when = rule.schedule
        ? `${rule.schedule}, next ${this.scheduler?.upcoming(rule)?.toISOString() ?? 'never'}`
        : `bus ${rule.busName} ${rule.pattern}`;
      const targets = rule.targets.map((t) =>
        t.kind === 'lambda' ? this.functionName(t.arn) : `queue ${t.arn.split(':').pop()}`,
      );
      lines.push(`  ${rule.name} (${when}) → ${targets.join(', ')}`);
    }
    for (const pool of this.model.userPools) {
      const triggers = Object.entries(pool.triggers).map(([t, arn]) => `${t} → ${this.functionName(arn)}`);
      const clients = [...this.model.clientPools]
        .filter(([, id]) => id === pool.id)
        .map(([client]) => client);
      lines.push('', `User pool ${pool.name}   id ${pool.id}   clients ${clients.join(', ')}`);
      if (triggers.length > 0) lines.push(`  triggers: ${triggers.join(', ')}`);
    }
    const byWhy = new Map<string, string[]>();
    for (const item of this.model.unemulated) {
      const key = `${item.why}: ${item.type}`;
      byWhy.set(key, [...(byWhy.get(key) ?? []), item.logicalId]);
    }
    if (byWhy.size > 0) lines.push('');
    for (const [key, ids] of [...byWhy].sort()) lines.push(`${key} ${ids.join(', ')}`);
    return lines.join('\n');
  }

  private functionName(arn: string): string {
    return this.model.functions.get(unqualifiedFunctionArn(arn))?.label ?? arn.split(':').pop() ?? arn;
  }

  private async boot(): Promise<void> {
    const stacks = readAssembly(this.options.assemblyDir);
    await this.assignPorts(stacks);
    await Promise.all([...this.apiPorts.values()].map((port) => assertPortFree(port, '--port')));
    if (this.options.endpointPort) await assertPortFree(this.options.endpointPort, '--endpoint-port');
    await this.endpoint.listen();
    this.asyncInvoker = new AsyncInvoker(this.sourceContext());
    this.resolved = await provision(stacks, this.model, this.provisionOptions());
    for (const spec of this.model.functions.values()) this.pools.set(spec.arn, this.newPool(spec));
    this.options.log.fitNames([...this.model.functions.values()].map((spec) => spec.label));
    for (const api of this.model.apis) await this.serve(api);
    await this.startRunners();
    this.scheduler = new Scheduler(() => this.model.rules, this.sourceContext(), this.asyncInvoker);
    this.scheduler.start();
    this.writeState();
  }

  private provisionOptions() {
    return {
      motoEndpoint: this.options.motoEndpoint,
      publicEndpoint: this.endpoint.url,
      region: this.region,
      accountId: this.accountId,
      assemblyDir: this.options.assemblyDir,
      apiPort: (key: string) => this.apiPorts.get(key) ?? 0,
      values: this.values,
      previous: this.resolved,
    };
  }

  /** The first HTTP API gets --port, the next ones the following ports; a known API keeps its port. */
  private async assignPorts(stacks: ReturnType<typeof readAssembly>): Promise<void> {
    const first = this.options.port ?? 3000;
    for (const stack of stacks) {
      for (const resource of stack.resources) {
        const served =
          (resource.type === 'AWS::ApiGatewayV2::Api' && resource.properties.ProtocolType === 'HTTP') ||
          resource.type === 'AWS::Lambda::Url';
        if (!served) continue;
        const key = `${stack.stackName}/${resource.logicalId}`;
        if (this.apiPorts.has(key)) continue;
        this.apiPorts.set(key, first === 0 ? await freePort() : first + this.apiPorts.size);
      }
    }
  }

  private newPool(spec: FunctionSpec): FunctionPool {
    return new FunctionPool({
      spec,
      region: this.region,
      accountId: this.accountId,
      log: this.options.log,
      ...(this.options.maxEnvironments !== undefined
        ? { maxEnvironments: this.options.maxEnvironments }
        : {}),
      // Never the caller's shell credentials: a local function talks to the local endpoint only.
      passthroughEnvironment: {
        AWS_ENDPOINT_URL: this.endpoint.url,
        AWS_ACCESS_KEY_ID: 'testing',
        AWS_SECRET_ACCESS_KEY: 'testing',
        AWS_SESSION_TOKEN: 'testing',
      },
    });
  }

  private async serve(api: CloudModel['apis'][number]): Promise<void> {
    const server = new HttpApiServer({
      api,
      accountId: this.accountId,
      jwt: this.jwt,
      log: this.options.log,
      invoke: (arn, event) => this.invoke(arn, event),
    });
    await server.listen();
    this.servers.set(`${api.stackName}/${api.logicalId}`, server);
  }

  /** Starts the pollers of the model; those whose settings did not change keep running. */
  private async startRunners(): Promise<void> {
    const wanted = new Map<string, () => Runner>();
    const context = this.sourceContext();
    for (const mapping of this.model.mappings) {
      const key = JSON.stringify(mapping);
      wanted.set(key, () =>
        mapping.kind === 'sqs'
          ? new SqsMappingPoller(
              mapping,
              context,
              this.pools.get(mapping.functionArn)?.concurrency ?? 1,
              this.options.sqsRetryDelaySeconds,
            )
          : new StreamMappingPoller(mapping, context),
      );
    }
    for (const rule of this.model.rules) {
      for (const target of rule.targets) {
        if (target.kind !== 'lambda' || !target.relayQueueUrl || !rule.enabled) continue;
        const key = JSON.stringify({ relay: target.relayQueueUrl, arn: target.arn });
        const delivery = {
          retryAttempts: target.retryAttempts,
          maximumEventAgeSeconds: target.maximumEventAgeSeconds,
          ...(target.deadLetterArn ? { deadLetterArn: target.deadLetterArn } : {}),
        };
        wanted.set(
          key,
          () =>
            new RuleRelay(target.relayQueueUrl as string, target.arn, context, this.asyncInvoker, delivery),
        );
      }
    }
    for (const [key, runner] of this.runners) {
      if (!wanted.has(key)) {
        this.runners.delete(key);
        await runner.stop();
      }
    }
    for (const [key, make] of wanted) {
      if (this.runners.has(key)) continue;
      const runner = make();
      await runner.start();
      this.runners.set(key, runner);
    }
  }

  private sourceContext(): SourceContext {
    const cloud = this;
    return {
      // A getter: pollers and the async invoker see the model of the latest reload.
      get model() {
        return cloud.model;
      },
      motoEndpoint: this.options.motoEndpoint,
      region: this.region,
      accountId: this.accountId,
      log: this.options.log,
      invoke: (arn, event) => this.invoke(arn, event),
    };
  }

  private async control(
    method: string,
    path: string,
    body: string,
  ): Promise<{ status: number; body: unknown }> {
    void body;
    const trigger = /^\/rules\/([^/]+)\/trigger$/.exec(path);
    if (method === 'POST' && trigger?.[1]) {
      try {
        const rule = await this.trigger(safeDecode(trigger[1]));
        return { status: 200, body: { fired: rule.name, targets: rule.targets.length } };
      } catch (error) {
        return { status: 404, body: { message: (error as Error).message } };
      }
    }
    if (method === 'GET' && path === '/state') return { status: 200, body: this.state() };
    return { status: 404, body: { message: `${method} ${path} is not a local cloud control route` } };
  }

  private state(): LocalCloudState {
    return {
      pid: process.pid,
      endpoint: this.endpoint.url,
      region: this.region,
      apis: this.model.apis.map((api) => ({
        name: api.name,
        stack: api.stackName,
        url: `http://127.0.0.1:${api.port}`,
      })),
      userPools: this.model.userPools.map((pool) => ({
        id: pool.id,
        name: pool.name,
        clients: [...this.model.clientPools].filter(([, id]) => id === pool.id).map(([client]) => client),
      })),
      rules: this.model.rules.map((rule) => ({
        name: rule.name,
        ...(rule.schedule ? { schedule: rule.schedule } : {}),
        ...(rule.pattern ? { pattern: rule.pattern } : {}),
      })),
      functions: [...this.model.functions.values()].map((spec) => ({
        label: spec.label,
        ...(spec.crate ? { crate: spec.crate } : {}),
        name: spec.name,
        memoryMb: spec.memoryMb,
        timeoutSeconds: spec.timeoutSeconds,
        environment: spec.environment,
        logFormat: spec.logFormat,
        ...(spec.logLevel ? { logLevel: spec.logLevel } : {}),
      })),
    };
  }

  private writeState(): void {
    const file = this.options.stateFile;
    if (!file) return;
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, `${JSON.stringify(this.state(), null, 2)}\n`);
  }
}

export interface ProvisionAssemblyOptions {
  /** The cloud assembly (`cdk.out`). */
  readonly assemblyDir: string;
  /** moto's endpoint (started and stopped by the caller); functions are pointed at it too. */
  readonly motoEndpoint: string;
  /** The local values file (secrets, parameter overrides). */
  readonly valuesFile: string;
  /** @default 'eu-west-1' */
  readonly region?: string;
  /** @default '123456789012' */
  readonly accountId?: string;
}

/**
 * The app's resources created in moto as the local cloud creates them, and what it would serve,
 * without serving anything (no HTTP APIs, pollers or schedules): `ferrule invoke` runs one
 * function against it when no local cloud is running.
 */
export async function provisionAssembly(options: ProvisionAssemblyOptions): Promise<CloudModel> {
  const model = emptyModel();
  await provision(readAssembly(options.assemblyDir), model, {
    motoEndpoint: options.motoEndpoint,
    publicEndpoint: options.motoEndpoint,
    region: options.region ?? 'eu-west-1',
    accountId: options.accountId ?? '123456789012',
    assemblyDir: options.assemblyDir,
    apiPort: () => 0,
    values: new LocalValues(options.valuesFile),
  });
  return model;
}

/** A free loopback port, chosen by the kernel. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/** Fails with the port and the option that changes it when something already listens there. */
export function assertPortFree(port: number, option: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', (error: NodeJS.ErrnoException) => {
      reject(
        new LocalCloudError(
          error.code === 'EADDRINUSE'
            ? `port ${port} is in use on 127.0.0.1: stop what listens there or choose another port with ${option}`
            : `cannot listen on 127.0.0.1:${port}: ${error.message}`,
        ),
      );
    });
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve()));
  });
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
