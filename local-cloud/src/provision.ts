// Creates the template's resources in moto with the AWS SDK, and records what the local cloud
// serves itself (functions, APIs, mappings, rules, triggers). docs/local-cloud.md says why the
// SDK and not moto's CloudFormation: moto cannot run a Lambda function without Docker, has no
// Cognito triggers, and would need every Lambda reference in the template replaced anyway.
import { createHash } from 'node:crypto';
import { isAbsolute, join } from 'node:path';
import {
  CognitoIdentityProviderClient,
  CreateUserPoolClientCommand,
  CreateUserPoolCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import {
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  ResourceInUseException,
} from '@aws-sdk/client-dynamodb';
import {
  CreateEventBusCommand,
  EventBridgeClient,
  PutRuleCommand,
  PutTargetsCommand,
  type Target,
} from '@aws-sdk/client-eventbridge';
import {
  CreateSecretCommand,
  DescribeSecretCommand,
  ResourceNotFoundException,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  SetQueueAttributesCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import type { StackTemplate, TemplateResource } from './assembly.ts';
import {
  evaluateCondition,
  type ResolveContext,
  type ResolvedResource,
  ResolveError,
  referencedIds,
  resolveString,
  resolveValue,
} from './intrinsics.ts';
import {
  type CloudModel,
  type CognitoTrigger,
  type CorsSpec,
  type FunctionSpec,
  type JwtAuthorizerSpec,
  type RuleTargetSpec,
  unqualifiedFunctionArn,
} from './model.ts';
import type { LocalValues } from './values.ts';

export interface ProvisionOptions {
  /** moto's endpoint, where resources are created. */
  readonly motoEndpoint: string;
  /** The endpoint functions and users see (the local AWS endpoint in front of moto). */
  readonly publicEndpoint: string;
  readonly region: string;
  readonly accountId: string;
  /** The assembly folder (asset paths are relative to it). */
  readonly assemblyDir: string;
  /** Ports of the HTTP APIs, in the order they appear. */
  readonly apiPort: (apiKey: string) => number;
  readonly values: LocalValues;
  /** Resources kept from an earlier provisioning (watch mode): ids moto generated stay. */
  readonly previous?: ReadonlyMap<string, ResolvedResource>;
  readonly log?: (line: string) => void;
}

export class ProvisionError extends Error {
  override readonly name = 'ProvisionError';
}

/** Types whose access rules the local cloud does not check (every call is allowed locally). */
const NOT_ENFORCED = new Set([
  'AWS::IAM::Role',
  'AWS::IAM::Policy',
  'AWS::IAM::ManagedPolicy',
  'AWS::SQS::QueuePolicy',
  'AWS::Lambda::Permission',
  'AWS::SecretsManager::ResourcePolicy',
  'AWS::Events::EventBusPolicy',
]);
/** Types with nothing to run locally, skipped without a word. */
const SILENT = new Set(['AWS::CDK::Metadata']);

interface Clients {
  readonly dynamodb: DynamoDBClient;
  readonly sqs: SQSClient;
  readonly events: EventBridgeClient;
  readonly ssm: SSMClient;
  readonly secrets: SecretsManagerClient;
  readonly cognito: CognitoIdentityProviderClient;
}

type Props = Record<string, unknown>;

/**
 * Provisions every stack in order and returns what the local cloud serves, plus the resolved
 * resources (kept for the next reconcile in watch mode).
 */
export async function provision(
  stacks: readonly StackTemplate[],
  model: CloudModel,
  options: ProvisionOptions,
): Promise<Map<string, ResolvedResource>> {
  const config = {
    region: options.region,
    endpoint: options.motoEndpoint,
    credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
  };
  const clients: Clients = {
    dynamodb: new DynamoDBClient(config),
    sqs: new SQSClient(config),
    events: new EventBridgeClient(config),
    ssm: new SSMClient(config),
    secrets: new SecretsManagerClient(config),
    cognito: new CognitoIdentityProviderClient(config),
  };
  const all = new Map<string, ResolvedResource>();
  const exports = new Map<string, string>();
  try {
    for (const stack of stacks) {
      const resolved = new Map<string, ResolvedResource>();
      const context: ResolveContext = {
        stackName: stack.stackName,
        region: options.region,
        accountId: options.accountId,
        resources: resolved,
        parameters: stack.parameters,
        conditions: stack.conditions,
        exports,
      };
      const provisioner = new StackProvisioner(stack, context, model, clients, options);
      for (const resource of order(stack.resources)) {
        if (resource.condition && !evaluateCondition(resource.condition, context)) continue;
        const key = `${stack.stackName}/${resource.logicalId}`;
        try {
          const result = await provisioner.provision(resource);
          resolved.set(resource.logicalId, result);
          all.set(key, result);
        } catch (error) {
          if (error instanceof ProvisionError) throw error;
          throw new ProvisionError(
            `${stack.stackName} ${resource.type} ${resource.logicalId}: ${(error as Error).message}`,
          );
        }
      }
      provisioner.finish();
      for (const output of Object.values(stack.outputs)) {
        if (output.Export) {
          exports.set(
            resolveString(output.Export.Name, context, 'export name'),
            resolveString(output.Value, context, 'output'),
          );
        }
      }
    }
  } finally {
    for (const client of Object.values(clients)) (client as { destroy(): void }).destroy();
  }
  return all;
}

/** Resources after the ones they refer to (Ref, GetAtt, Sub, DependsOn). */
function order(resources: readonly TemplateResource[]): TemplateResource[] {
  const byId = new Map(resources.map((r) => [r.logicalId, r]));
  const done = new Set<string>();
  const ordered: TemplateResource[] = [];
  const visit = (resource: TemplateResource, path: Set<string>) => {
    if (done.has(resource.logicalId) || path.has(resource.logicalId)) return;
    path.add(resource.logicalId);
    const edges = referencedIds(resource.properties);
    for (const id of resource.dependsOn) edges.add(id);
    for (const id of edges) {
      const dependency = byId.get(id);
      if (dependency) visit(dependency, path);
    }
    path.delete(resource.logicalId);
    done.add(resource.logicalId);
    ordered.push(resource);
  };
  for (const resource of resources) visit(resource, new Set());
  return ordered;
}

/** A name as CloudFormation would generate it, without the random suffix, within `max` characters. */
function generatedName(stackName: string, logicalId: string, max: number, suffix = ''): string {
  const base = `${stackName}-${logicalId}`;
  if (base.length + suffix.length <= max) return base + suffix;
  const hash = createHash('sha256').update(base).digest('hex').slice(0, 8);
  return `${base.slice(0, max - suffix.length - 9)}-${hash}${suffix}`;
}

class StackProvisioner {
  private readonly apis = new Map<string, { name: string; cors?: CorsSpec; key: string }>();
  private readonly integrations = new Map<
    string,
    { functionArn: string; payload: '1.0' | '2.0'; timeoutMs: number }
  >();
  private readonly authorizers = new Map<string, JwtAuthorizerSpec | { unsupported: string }>();
  private readonly routes: { apiId: string; props: Props }[] = [];

  constructor(
    private readonly stack: StackTemplate,
    private readonly context: ResolveContext,
    private readonly model: CloudModel,
    private readonly clients: Clients,
    private readonly options: ProvisionOptions,
  ) {}

  private get region() {
    return this.options.region;
  }
  private get account() {
    return this.options.accountId;
  }

  async provision(resource: TemplateResource): Promise<ResolvedResource> {
    if (SILENT.has(resource.type)) return placeholder(resource, this.region, this.account);
    if (NOT_ENFORCED.has(resource.type)) {
      this.model.unemulated.push({ ...describe(resource), why: 'not enforced locally' });
      return placeholder(resource, this.region, this.account);
    }
    const props = (resolveValue(resource.properties, this.context) ?? {}) as Props;
    switch (resource.type) {
      case 'AWS::DynamoDB::Table':
        return this.table(resource, props);
      case 'AWS::SQS::Queue':
        return this.queue(resource, props);
      case 'AWS::Events::EventBus':
        return this.bus(props);
      case 'AWS::Events::Rule':
        return this.rule(resource, props);
      case 'AWS::SSM::Parameter':
        return this.parameter(resource, props);
      case 'AWS::SecretsManager::Secret':
        return this.secret(resource, props);
      case 'AWS::Cognito::UserPool':
        return this.userPool(resource, props);
      case 'AWS::Cognito::UserPoolClient':
        return this.userPoolClient(resource, props);
      case 'AWS::Lambda::Function':
        return this.function(resource, props);
      case 'AWS::Lambda::EventSourceMapping':
        return this.eventSourceMapping(resource, props);
      case 'AWS::Lambda::EventInvokeConfig':
        return this.eventInvokeConfig(resource, props);
      case 'AWS::ApiGatewayV2::Api':
        return this.httpApi(resource, props);
      case 'AWS::ApiGatewayV2::Integration':
        return this.integration(resource, props);
      case 'AWS::ApiGatewayV2::Authorizer':
        return this.authorizer(resource, props);
      case 'AWS::ApiGatewayV2::Route':
        this.routes.push({ apiId: String(props.ApiId), props });
        return { ref: localId(resource), attributes: {} };
      case 'AWS::ApiGatewayV2::Stage':
        return { ref: String(props.StageName ?? '$default'), attributes: {} };
      case 'AWS::Lambda::Url':
        return this.functionUrl(resource, props);
      default:
        this.model.unemulated.push({ ...describe(resource), why: 'not emulated locally' });
        return placeholder(resource, this.region, this.account);
    }
  }

  /** Routes need their API, integration and authorizer, which may come in any order. */
  finish(): void {
    for (const [apiId, api] of this.apis) {
      const routes = this.routes
        .filter((route) => route.apiId === apiId)
        .flatMap(({ props }) => {
          const target = String(props.Target ?? '');
          const integration = this.integrations.get(target.replace(/^integrations\//, ''));
          if (!integration) return [];
          const authorizer =
            props.AuthorizationType === 'JWT' ? this.authorizers.get(String(props.AuthorizerId)) : undefined;
          const unsupported =
            authorizer && 'unsupported' in authorizer
              ? authorizer.unsupported
              : props.AuthorizationType && !['NONE', 'JWT'].includes(String(props.AuthorizationType))
                ? `${String(props.AuthorizationType)} authorization`
                : undefined;
          return [
            {
              routeKey: String(props.RouteKey),
              functionArn: integration.functionArn,
              payloadFormatVersion: integration.payload,
              timeoutMs: integration.timeoutMs,
              ...(authorizer && !('unsupported' in authorizer) ? { authorizer } : {}),
              ...(unsupported ? { unsupportedAuthorization: unsupported } : {}),
              scopes: Array.isArray(props.AuthorizationScopes) ? props.AuthorizationScopes.map(String) : [],
            },
          ];
        });
      this.model.apis.push({
        stackName: this.stack.stackName,
        logicalId: api.key,
        apiId,
        name: api.name,
        port: this.options.apiPort(`${this.stack.stackName}/${api.key}`),
        ...(api.cors ? { cors: api.cors } : {}),
        routes,
      });
    }
  }

  private async table(resource: TemplateResource, props: Props): Promise<ResolvedResource> {
    const name = String(props.TableName ?? generatedName(this.stack.stackName, resource.logicalId, 255));
    const stream = props.StreamSpecification as { StreamViewType?: string } | undefined;
    const pay = props.BillingMode === 'PAY_PER_REQUEST' || !props.ProvisionedThroughput;
    const throughput = { ReadCapacityUnits: 5, WriteCapacityUnits: 5 };
    const index = (i: Props) => ({
      IndexName: String(i.IndexName),
      KeySchema: i.KeySchema as never,
      Projection: (i.Projection ?? { ProjectionType: 'ALL' }) as never,
      ...(pay ? {} : { ProvisionedThroughput: (i.ProvisionedThroughput ?? throughput) as never }),
    });
    let description: { TableArn?: string; LatestStreamArn?: string } | undefined;
    try {
      const created = await this.clients.dynamodb.send(
        new CreateTableCommand({
          TableName: name,
          KeySchema: props.KeySchema as never,
          AttributeDefinitions: props.AttributeDefinitions as never,
          BillingMode: pay ? 'PAY_PER_REQUEST' : 'PROVISIONED',
          ...(pay ? {} : { ProvisionedThroughput: (props.ProvisionedThroughput ?? throughput) as never }),
          ...(Array.isArray(props.GlobalSecondaryIndexes)
            ? { GlobalSecondaryIndexes: (props.GlobalSecondaryIndexes as Props[]).map(index) }
            : {}),
          ...(Array.isArray(props.LocalSecondaryIndexes)
            ? {
                LocalSecondaryIndexes: (props.LocalSecondaryIndexes as Props[]).map((i) => ({
                  IndexName: String(i.IndexName),
                  KeySchema: i.KeySchema as never,
                  Projection: i.Projection as never,
                })),
              }
            : {}),
          ...(stream?.StreamViewType
            ? { StreamSpecification: { StreamEnabled: true, StreamViewType: stream.StreamViewType as never } }
            : {}),
        }),
      );
      description = created.TableDescription;
    } catch (error) {
      // Watch mode or a second start against the same moto: keep the table and its data.
      if (!(error instanceof ResourceInUseException)) throw error;
      description = (await this.clients.dynamodb.send(new DescribeTableCommand({ TableName: name }))).Table;
    }
    const arn = description?.TableArn ?? `arn:aws:dynamodb:${this.region}:${this.account}:table/${name}`;
    const streamArn = description?.LatestStreamArn;
    this.model.tables.push({ logicalId: resource.logicalId, name, ...(streamArn ? { streamArn } : {}) });
    return { ref: name, attributes: { Arn: arn, ...(streamArn ? { StreamArn: streamArn } : {}) } };
  }

  private async queue(resource: TemplateResource, props: Props): Promise<ResolvedResource> {
    const fifo = props.FifoQueue === true || props.FifoQueue === 'true';
    const name = String(
      props.QueueName ?? generatedName(this.stack.stackName, resource.logicalId, 80, fifo ? '.fifo' : ''),
    );
    const attributes: Record<string, string> = {};
    for (const key of [
      'VisibilityTimeout',
      'MessageRetentionPeriod',
      'DelaySeconds',
      'MaximumMessageSize',
      'ReceiveMessageWaitTimeSeconds',
      'ContentBasedDeduplication',
      'DeduplicationScope',
      'FifoThroughputLimit',
    ]) {
      if (props[key] !== undefined) attributes[key] = String(props[key]);
    }
    if (fifo) attributes.FifoQueue = 'true';
    if (props.RedrivePolicy !== undefined) {
      attributes.RedrivePolicy =
        typeof props.RedrivePolicy === 'string' ? props.RedrivePolicy : JSON.stringify(props.RedrivePolicy);
    }
    let motoUrl: string;
    try {
      const created = await this.clients.sqs.send(
        new CreateQueueCommand({ QueueName: name, Attributes: attributes }),
      );
      motoUrl = created.QueueUrl ?? '';
    } catch (error) {
      // Watch mode with changed attributes: keep the queue and its messages, apply the new settings.
      if ((error as Error).name !== 'QueueAlreadyExists' && (error as Error).name !== 'QueueNameExists')
        throw error;
      motoUrl = (await this.clients.sqs.send(new GetQueueUrlCommand({ QueueName: name }))).QueueUrl ?? '';
      const { FifoQueue: _fifo, ...changeable } = attributes;
      await this.clients.sqs.send(
        new SetQueueAttributesCommand({ QueueUrl: motoUrl, Attributes: changeable }),
      );
    }
    const arnAttribute = await this.clients.sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: motoUrl, AttributeNames: ['QueueArn'] }),
    );
    const arn = arnAttribute.Attributes?.QueueArn ?? `arn:aws:sqs:${this.region}:${this.account}:${name}`;
    // Functions and users reach moto through the local endpoint: the URL they see names it.
    const url = `${this.options.publicEndpoint}/${this.account}/${name}`;
    this.model.queues.set(arn, { name, url, motoUrl });
    return { ref: url, attributes: { Arn: arn, QueueName: name, QueueUrl: url } };
  }

  private async bus(props: Props): Promise<ResolvedResource> {
    const name = String(props.Name);
    try {
      await this.clients.events.send(new CreateEventBusCommand({ Name: name }));
    } catch (error) {
      if ((error as Error).name !== 'ResourceAlreadyExistsException') throw error;
    }
    const arn = `arn:aws:events:${this.region}:${this.account}:event-bus/${name}`;
    return { ref: name, attributes: { Arn: arn, Name: name } };
  }

  private async rule(resource: TemplateResource, props: Props): Promise<ResolvedResource> {
    const name = String(props.Name ?? generatedName(this.stack.stackName, resource.logicalId, 64));
    const busName = String(props.EventBusName ?? 'default').replace(
      /^arn:aws:events:[^:]*:[^:]*:event-bus\//,
      '',
    );
    const arn = `arn:aws:events:${this.region}:${this.account}:rule/${busName === 'default' ? '' : `${busName}/`}${name}`;
    const pattern =
      props.EventPattern === undefined
        ? undefined
        : typeof props.EventPattern === 'string'
          ? props.EventPattern
          : JSON.stringify(props.EventPattern);
    const schedule = props.ScheduleExpression === undefined ? undefined : String(props.ScheduleExpression);
    const enabled = props.State === undefined || props.State === 'ENABLED';
    const targets: RuleTargetSpec[] = [];
    const motoTargets: Target[] = [];
    for (const target of (props.Targets ?? []) as Props[]) {
      const targetArn = String(target.Arn);
      const kind: RuleTargetSpec['kind'] = targetArn.startsWith('arn:aws:lambda:')
        ? 'lambda'
        : targetArn.startsWith('arn:aws:sqs:')
          ? 'sqs'
          : 'other';
      const retry = (target.RetryPolicy ?? {}) as Props;
      const spec: RuleTargetSpec = {
        id: String(target.Id),
        kind,
        arn: kind === 'lambda' ? unqualifiedFunctionArn(targetArn) : targetArn,
        ...(target.Input !== undefined ? { input: String(target.Input) } : {}),
        retryAttempts: retry.MaximumRetryAttempts === undefined ? 185 : Number(retry.MaximumRetryAttempts),
        maximumEventAgeSeconds:
          retry.MaximumEventAgeInSeconds === undefined ? 86_400 : Number(retry.MaximumEventAgeInSeconds),
        ...((target.DeadLetterConfig as Props | undefined)?.Arn
          ? { deadLetterArn: String((target.DeadLetterConfig as Props).Arn) }
          : {}),
        ...((target.SqsParameters as Props | undefined)?.MessageGroupId
          ? { messageGroupId: String((target.SqsParameters as Props).MessageGroupId) }
          : {}),
      };
      if (kind === 'other') {
        this.model.unemulated.push({
          ...describe(resource),
          type: `AWS::Events::Rule target ${targetArn.split(':')[2] ?? targetArn}`,
          why: 'not emulated locally',
        });
        continue;
      }
      if (pattern && kind === 'lambda') {
        // moto matches the pattern and delivers to this queue; the local cloud invokes the function.
        const relay = await this.relayQueue(`${name}-${spec.id}`);
        targets.push({ ...spec, relayQueueUrl: relay.url });
        motoTargets.push(this.motoTarget(target, relay.arn));
      } else {
        targets.push(spec);
        if (pattern) motoTargets.push(this.motoTarget(target, targetArn));
      }
    }
    if (pattern) {
      await this.clients.events.send(
        new PutRuleCommand({
          Name: name,
          EventBusName: busName,
          EventPattern: pattern,
          State: enabled ? 'ENABLED' : 'DISABLED',
        }),
      );
      if (motoTargets.length > 0) {
        await this.clients.events.send(
          new PutTargetsCommand({ Rule: name, EventBusName: busName, Targets: motoTargets }),
        );
      }
    }
    this.model.rules.push({
      stackName: this.stack.stackName,
      logicalId: resource.logicalId,
      name,
      arn,
      busName,
      ...(pattern ? { pattern } : {}),
      ...(schedule ? { schedule } : {}),
      enabled,
      targets,
    });
    return { ref: name, attributes: { Arn: arn } };
  }

  private motoTarget(target: Props, arn: string): Target {
    return {
      Id: String(target.Id),
      Arn: arn,
      ...(target.Input !== undefined ? { Input: String(target.Input) } : {}),
      ...(target.InputPath !== undefined ? { InputPath: String(target.InputPath) } : {}),
      ...(target.InputTransformer !== undefined
        ? { InputTransformer: target.InputTransformer as never }
        : {}),
      ...(target.SqsParameters !== undefined ? { SqsParameters: target.SqsParameters as never } : {}),
    };
  }

  private async relayQueue(label: string): Promise<{ url: string; arn: string }> {
    const name = `ferrule-local-${createHash('sha256').update(label).digest('hex').slice(0, 16)}`;
    const created = await this.clients.sqs.send(new CreateQueueCommand({ QueueName: name }));
    const url = created.QueueUrl ?? '';
    const attributes = await this.clients.sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }),
    );
    return { url, arn: attributes.Attributes?.QueueArn ?? '' };
  }

  private async parameter(resource: TemplateResource, props: Props): Promise<ResolvedResource> {
    const name = String(props.Name ?? `CFN-${resource.logicalId}`);
    const value = this.options.values.parameter(name) ?? String(props.Value ?? '');
    const type = String(props.Type ?? 'String');
    await this.clients.ssm.send(
      new PutParameterCommand({ Name: name, Value: value, Type: type as never, Overwrite: true }),
    );
    return { ref: name, attributes: { Type: type, Value: value } };
  }

  private async secret(resource: TemplateResource, props: Props): Promise<ResolvedResource> {
    const name = String(props.Name ?? generatedName(this.stack.stackName, resource.logicalId, 256));
    let arn: string | undefined;
    try {
      arn = (await this.clients.secrets.send(new DescribeSecretCommand({ SecretId: name }))).ARN;
    } catch (error) {
      if (!(error instanceof ResourceNotFoundException)) throw error;
    }
    if (!arn) {
      const value = this.options.values.secret(name, {
        ...(props.SecretString !== undefined ? { templateValue: String(props.SecretString) } : {}),
        ...(props.GenerateSecretString !== undefined
          ? { generate: props.GenerateSecretString as Props }
          : {}),
      });
      const created = await this.clients.secrets.send(
        new CreateSecretCommand({ Name: name, SecretString: value }),
      );
      arn = created.ARN ?? name;
    }
    return { ref: arn, attributes: { Id: arn } };
  }

  private async userPool(resource: TemplateResource, props: Props): Promise<ResolvedResource> {
    const key = `${this.stack.stackName}/${resource.logicalId}`;
    const name = String(props.UserPoolName ?? generatedName(this.stack.stackName, resource.logicalId, 128));
    let id = this.options.previous?.get(key)?.ref;
    if (!id) {
      const passed: Props = {};
      for (const field of [
        'Policies',
        'UsernameAttributes',
        'AliasAttributes',
        'AutoVerifiedAttributes',
        'Schema',
        'MfaConfiguration',
        'UsernameConfiguration',
        'AccountRecoverySetting',
        'AdminCreateUserConfig',
        'VerificationMessageTemplate',
      ]) {
        if (props[field] !== undefined) passed[field] = props[field];
      }
      const created = await this.clients.cognito.send(
        new CreateUserPoolCommand({ PoolName: name, ...(passed as object) }),
      );
      id = created.UserPool?.Id;
      if (!id) throw new Error('moto returned no user pool id');
    }
    const triggers: Partial<Record<CognitoTrigger, string>> = {};
    const config = (props.LambdaConfig ?? {}) as Props;
    for (const trigger of [
      'PreSignUp',
      'PostConfirmation',
      'CustomMessage',
      'PreAuthentication',
      'PostAuthentication',
    ] as const) {
      if (typeof config[trigger] === 'string')
        triggers[trigger] = unqualifiedFunctionArn(config[trigger] as string);
    }
    for (const other of Object.keys(config)) {
      if (!(other in triggers) && other !== 'KMSKeyID') {
        this.model.unemulated.push({
          ...describe(resource),
          type: `AWS::Cognito::UserPool trigger ${other}`,
          why: 'not emulated locally',
        });
      }
    }
    this.model.userPools.push({ logicalId: resource.logicalId, id, name, triggers });
    const arn = `arn:aws:cognito-idp:${this.region}:${this.account}:userpool/${id}`;
    return {
      ref: id,
      attributes: {
        Arn: arn,
        UserPoolId: id,
        ProviderName: `cognito-idp.${this.region}.amazonaws.com/${id}`,
        ProviderURL: `https://cognito-idp.${this.region}.amazonaws.com/${id}`,
      },
    };
  }

  private async userPoolClient(resource: TemplateResource, props: Props): Promise<ResolvedResource> {
    const key = `${this.stack.stackName}/${resource.logicalId}`;
    const previous = this.options.previous?.get(key);
    if (previous) {
      this.model.clientPools.set(previous.ref, String(props.UserPoolId));
      return previous;
    }
    const passed: Props = {};
    for (const field of [
      'ExplicitAuthFlows',
      'GenerateSecret',
      'RefreshTokenValidity',
      'AccessTokenValidity',
      'IdTokenValidity',
      'TokenValidityUnits',
      'ReadAttributes',
      'WriteAttributes',
      'AllowedOAuthFlows',
      'AllowedOAuthScopes',
      'AllowedOAuthFlowsUserPoolClient',
      'CallbackURLs',
      'LogoutURLs',
      'SupportedIdentityProviders',
      'PreventUserExistenceErrors',
    ]) {
      if (props[field] !== undefined) passed[field] = props[field];
    }
    const created = await this.clients.cognito.send(
      new CreateUserPoolClientCommand({
        UserPoolId: String(props.UserPoolId),
        ClientName: String(props.ClientName ?? resource.logicalId),
        ...(passed as object),
      }),
    );
    const client = created.UserPoolClient;
    if (!client?.ClientId) throw new Error('moto returned no client id');
    this.model.clientPools.set(client.ClientId, String(props.UserPoolId));
    return {
      ref: client.ClientId,
      attributes: {
        ClientId: client.ClientId,
        ClientSecret: client.ClientSecret ?? '',
        Name: client.ClientName ?? '',
      },
    };
  }

  private function(resource: TemplateResource, props: Props): ResolvedResource {
    const name = String(props.FunctionName ?? generatedName(this.stack.stackName, resource.logicalId, 64));
    const arn = `arn:aws:lambda:${this.region}:${this.account}:function:${name}`;
    const assetPath = resource.metadata['aws:asset:path'];
    const runtime = String(props.Runtime ?? (props.PackageType === 'Image' ? 'image' : 'unknown'));
    const architecture = ((props.Architectures as string[] | undefined)?.[0] ??
      'x86_64') as FunctionSpec['architecture'];
    const result = { ref: name, attributes: { Arn: arn } };
    const host = process.arch === 'arm64' ? 'arm64' : 'x86_64';
    if (typeof assetPath !== 'string' || !runtime.startsWith('provided') || architecture !== host) {
      const why =
        typeof assetPath !== 'string'
          ? ', no local asset'
          : architecture !== host
            ? `, ${architecture} on an ${host} machine`
            : '';
      this.model.unemulated.push({
        ...describe(resource),
        type: `AWS::Lambda::Function (${runtime}${why})`,
        why: 'not emulated locally',
      });
      return result;
    }
    const logging = (props.LoggingConfig ?? {}) as Props;
    const artifact = isAbsolute(assetPath) ? assetPath : join(this.options.assemblyDir, assetPath);
    this.model.functions.set(arn, {
      stackName: this.stack.stackName,
      logicalId: resource.logicalId,
      name,
      arn,
      label: functionLabel(resource),
      ...(typeof resource.metadata['ferrule:crate'] === 'string'
        ? { crate: resource.metadata['ferrule:crate'] }
        : {}),
      artifact,
      runtime,
      architecture,
      memoryMb: Number(props.MemorySize ?? 128),
      timeoutSeconds: Number(props.Timeout ?? 3),
      environment: Object.fromEntries(
        Object.entries(((props.Environment as Props | undefined)?.Variables ?? {}) as Props).map(([k, v]) => [
          k,
          String(v),
        ]),
      ),
      logFormat: logging.LogFormat === 'JSON' ? 'JSON' : 'Text',
      ...(logging.ApplicationLogLevel ? { logLevel: String(logging.ApplicationLogLevel) } : {}),
      ...(props.ReservedConcurrentExecutions !== undefined
        ? { reservedConcurrency: Number(props.ReservedConcurrentExecutions) }
        : {}),
      ...managedInstances(props),
      ...((props.DeadLetterConfig as Props | undefined)?.TargetArn
        ? { deadLetterArn: String((props.DeadLetterConfig as Props).TargetArn) }
        : {}),
    });
    return result;
  }

  private eventSourceMapping(resource: TemplateResource, props: Props): ResolvedResource {
    const source = String(props.EventSourceArn ?? '');
    const functionName = String(props.FunctionName);
    const functionArn = functionName.startsWith('arn:')
      ? unqualifiedFunctionArn(functionName)
      : `arn:aws:lambda:${this.region}:${this.account}:function:${functionName}`;
    const responseTypes = (props.FunctionResponseTypes as string[] | undefined) ?? [];
    const window = Number(props.MaximumBatchingWindowInSeconds ?? 0);
    const enabled = props.Enabled === undefined || props.Enabled === true || props.Enabled === 'true';
    const result = { ref: localId(resource), attributes: { EventSourceMappingId: localId(resource) } };
    if (source.startsWith('arn:aws:sqs:')) {
      const queue = this.model.queues.get(source);
      if (!queue) throw new ResolveError(`the mapping reads ${source}, which is not a queue of the app`);
      const scaling = (props.ScalingConfig ?? {}) as Props;
      this.model.mappings.push({
        kind: 'sqs',
        logicalId: resource.logicalId,
        functionArn,
        queueArn: source,
        queueUrl: queue.url,
        motoQueueUrl: queue.motoUrl,
        fifo: queue.name.endsWith('.fifo'),
        batchSize: Number(props.BatchSize ?? 10),
        batchingWindowSeconds: window,
        reportBatchItemFailures: responseTypes.includes('ReportBatchItemFailures'),
        ...(scaling.MaximumConcurrency !== undefined
          ? { maximumConcurrency: Number(scaling.MaximumConcurrency) }
          : {}),
        enabled,
      });
    } else if (source.startsWith('arn:aws:dynamodb:')) {
      const destination = ((props.DestinationConfig as Props | undefined)?.OnFailure as Props | undefined)
        ?.Destination;
      this.model.mappings.push({
        kind: 'dynamodb',
        logicalId: resource.logicalId,
        functionArn,
        streamArn: source,
        startingPosition: props.StartingPosition === 'LATEST' ? 'LATEST' : 'TRIM_HORIZON',
        batchSize: Number(props.BatchSize ?? 100),
        batchingWindowSeconds: window,
        bisectOnError:
          props.BisectBatchOnFunctionError === true || props.BisectBatchOnFunctionError === 'true',
        maximumRetryAttempts: Number(props.MaximumRetryAttempts ?? -1),
        maximumRecordAgeSeconds: Number(props.MaximumRecordAgeInSeconds ?? -1),
        reportBatchItemFailures: responseTypes.includes('ReportBatchItemFailures'),
        ...(destination ? { onFailureArn: String(destination) } : {}),
        enabled,
      });
    } else {
      this.model.unemulated.push({
        ...describe(resource),
        type: `AWS::Lambda::EventSourceMapping (${source.split(':')[2] ?? 'unknown source'})`,
        why: 'not emulated locally',
      });
    }
    return result;
  }

  private eventInvokeConfig(resource: TemplateResource, props: Props): ResolvedResource {
    const functionName = String(props.FunctionName);
    const functionArn = functionName.startsWith('arn:')
      ? unqualifiedFunctionArn(functionName)
      : `arn:aws:lambda:${this.region}:${this.account}:function:${functionName}`;
    const destinations = (props.DestinationConfig ?? {}) as Record<string, Props | undefined>;
    this.model.asyncConfigs.set(functionArn, {
      maximumRetryAttempts: Number(props.MaximumRetryAttempts ?? 2),
      maximumEventAgeSeconds: Number(props.MaximumEventAgeInSeconds ?? 21_600),
      ...(destinations.OnFailure?.Destination
        ? { onFailureArn: String(destinations.OnFailure.Destination) }
        : {}),
      ...(destinations.OnSuccess?.Destination
        ? { onSuccessArn: String(destinations.OnSuccess.Destination) }
        : {}),
    });
    return { ref: localId(resource), attributes: {} };
  }

  private httpApi(resource: TemplateResource, props: Props): ResolvedResource {
    const apiId = localId(resource).slice(0, 10);
    if (props.ProtocolType !== 'HTTP') {
      this.model.unemulated.push({
        ...describe(resource),
        type: `AWS::ApiGatewayV2::Api (${String(props.ProtocolType)})`,
        why: 'not emulated locally',
      });
      return { ref: apiId, attributes: { ApiId: apiId, ApiEndpoint: '' } };
    }
    const cors = props.CorsConfiguration as Props | undefined;
    this.apis.set(apiId, {
      key: resource.logicalId,
      name: String(props.Name ?? resource.logicalId),
      ...corsOf(cors),
    });
    const port = this.options.apiPort(`${this.stack.stackName}/${resource.logicalId}`);
    return { ref: apiId, attributes: { ApiId: apiId, ApiEndpoint: `http://127.0.0.1:${port}` } };
  }

  /**
   * A function URL: its own port, every request to the function as a payload 2.0 event with route
   * `$default`, as Lambda's URLs send it. IAM auth cannot be checked locally: such a URL answers 500.
   */
  private functionUrl(resource: TemplateResource, props: Props): ResolvedResource {
    const target = String(props.TargetFunctionArn ?? '');
    const functionArn = target.startsWith('arn:')
      ? unqualifiedFunctionArn(target)
      : `arn:aws:lambda:${this.region}:${this.account}:function:${target}`;
    const key = `${this.stack.stackName}/${resource.logicalId}`;
    const port = this.options.apiPort(key);
    const cors = props.Cors as Props | undefined;
    const iam = props.AuthType === 'AWS_IAM';
    this.model.apis.push({
      stackName: this.stack.stackName,
      logicalId: resource.logicalId,
      apiId: localId(resource).slice(0, 10),
      name: `function URL of ${functionArn.split(':').pop()}`,
      port,
      ...corsOf(cors),
      routes: [
        {
          routeKey: '$default',
          functionArn,
          payloadFormatVersion: '2.0',
          timeoutMs: 900_000,
          scopes: [],
          ...(iam ? { unsupportedAuthorization: 'AWS_IAM auth of a function URL' } : {}),
        },
      ],
    });
    if (iam) {
      this.model.unemulated.push({
        ...describe(resource),
        type: 'AWS::Lambda::Url (AWS_IAM auth)',
        why: 'not emulated locally',
      });
    }
    return {
      ref: functionArn,
      attributes: { FunctionArn: functionArn, FunctionUrl: `http://127.0.0.1:${port}/` },
    };
  }

  private integration(resource: TemplateResource, props: Props): ResolvedResource {
    const id = localId(resource).slice(0, 7);
    const uri = String(props.IntegrationUri ?? '');
    // Either the function ARN or arn:aws:apigateway:<region>:lambda:path/2015-03-31/functions/<arn>/invocations.
    const match = /(arn:aws:lambda:[^/]+?)(?:\/invocations)?$/.exec(uri);
    if (props.IntegrationType === 'AWS_PROXY' && match?.[1]) {
      this.integrations.set(id, {
        functionArn: unqualifiedFunctionArn(match[1]),
        payload: props.PayloadFormatVersion === '1.0' ? '1.0' : '2.0',
        timeoutMs: Number(props.TimeoutInMillis ?? 30_000),
      });
    } else {
      this.model.unemulated.push({
        ...describe(resource),
        type: `AWS::ApiGatewayV2::Integration (${String(props.IntegrationType)})`,
        why: 'not emulated locally',
      });
    }
    return { ref: id, attributes: {} };
  }

  private authorizer(resource: TemplateResource, props: Props): ResolvedResource {
    const id = localId(resource).slice(0, 6);
    if (props.AuthorizerType === 'JWT') {
      const jwt = (props.JwtConfiguration ?? {}) as Props;
      const source = String(
        (props.IdentitySource as string[] | undefined)?.[0] ?? '$request.header.Authorization',
      );
      this.authorizers.set(id, {
        name: String(props.Name ?? resource.logicalId),
        issuer: String(jwt.Issuer ?? ''),
        audience: Array.isArray(jwt.Audience) ? jwt.Audience.map(String) : [],
        identityHeader: source.replace(/^\$request\.header\./, '').toLowerCase(),
      });
    } else {
      this.authorizers.set(id, {
        unsupported: `${String(props.AuthorizerType)} authorizer ${resource.logicalId}`,
      });
      this.model.unemulated.push({
        ...describe(resource),
        type: `AWS::ApiGatewayV2::Authorizer (${String(props.AuthorizerType)})`,
        why: 'not emulated locally',
      });
    }
    return { ref: id, attributes: {} };
  }
}

/**
 * Lambda documents no default for `PerExecutionEnvironmentMaxConcurrency`; locally a function on
 * a capacity provider without one takes this many invocations per environment.
 */
export const DEFAULT_MANAGED_INSTANCES_CONCURRENCY = 16;

/** A function on a capacity provider: how many invocations one environment takes at once. */
export function managedInstances(props: Props): { managedInstancesConcurrency?: number } {
  const config = (props.CapacityProviderConfig as Props | undefined)
    ?.LambdaManagedInstancesCapacityProviderConfig as Props | undefined;
  if (!config) return {};
  const asked = Number(config.PerExecutionEnvironmentMaxConcurrency ?? DEFAULT_MANAGED_INSTANCES_CONCURRENCY);
  const concurrency =
    Number.isInteger(asked) && asked >= 1 && asked <= 1600 ? asked : DEFAULT_MANAGED_INSTANCES_CONCURRENCY;
  return { managedInstancesConcurrency: concurrency };
}

/** `orders-api` from `ferrule:crate`, else `OrdersApi` from the construct path `Stack/OrdersApi/Resource`. */
function functionLabel(resource: TemplateResource): string {
  const crate = resource.metadata['ferrule:crate'];
  if (typeof crate === 'string') return crate;
  const path = String(resource.metadata['aws:cdk:path'] ?? '').split('/');
  return path[1] ?? resource.logicalId;
}

/** An API's `CorsConfiguration` or a function URL's `Cors` (the same fields), when set. */
function corsOf(cors: Props | undefined): { cors?: CorsSpec } {
  if (!cors) return {};
  const list = (value: unknown) => (Array.isArray(value) ? value.map(String) : []);
  return {
    cors: {
      allowOrigins: list(cors.AllowOrigins),
      allowMethods: list(cors.AllowMethods),
      allowHeaders: list(cors.AllowHeaders),
      exposeHeaders: list(cors.ExposeHeaders),
      allowCredentials: cors.AllowCredentials === true,
      ...(cors.MaxAge !== undefined ? { maxAge: Number(cors.MaxAge) } : {}),
    },
  };
}

function describe(resource: TemplateResource) {
  return { stackName: resource.stackName, logicalId: resource.logicalId, type: resource.type };
}

/** A stable local id for resources whose id AWS generates (APIs, routes, mappings). */
function localId(resource: TemplateResource): string {
  return createHash('sha256')
    .update(`${resource.stackName}/${resource.logicalId}`)
    .digest('hex')
    .slice(0, 16);
}

/** Ref and attributes of a resource the local cloud does not create: names that read as such. */
function placeholder(resource: TemplateResource, region: string, account: string): ResolvedResource {
  const name = `${resource.stackName}-${resource.logicalId}`;
  const service = resource.type.split('::')[1]?.toLowerCase() ?? 'local';
  const arn = `arn:aws:${service}:${region}:${account}:${name}`;
  const attributes = new Proxy({} as Record<string, string>, {
    get: (_target, attribute) => (attribute === 'Arn' ? arn : `${name}.${String(attribute)}`),
  });
  return { ref: name, attributes };
}
