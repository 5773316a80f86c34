import { Token } from 'aws-cdk-lib';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type { IConstruct } from 'constructs';
import type { DeclaredGrant, ParameterAction, TableAccess, TableAction, TableUse, Uses } from '../uses.ts';

/**
 * The action table (docs/constructs.md prints the same lists). Explicit lists rather
 * than CDK's grant* helpers: those add actions no declaration asked for (for example
 * `dynamodb:Scan`, `sqs:GetQueueUrl`, or `dynamodb:ListStreams` on `*`).
 */
export const ACTIONS = {
  tableRead: [
    'dynamodb:BatchGetItem',
    'dynamodb:ConditionCheckItem',
    'dynamodb:DescribeTable',
    'dynamodb:GetItem',
    'dynamodb:Query',
  ],
  tableWrite: ['dynamodb:BatchWriteItem', 'dynamodb:DeleteItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
  /** What `read` grants on the indexes: the one read that can name an index. */
  indexRead: ['dynamodb:Query'],
  streamRead: ['dynamodb:DescribeStream', 'dynamodb:GetRecords', 'dynamodb:GetShardIterator'],
  streamList: ['dynamodb:ListStreams'],
  queueSend: ['sqs:SendMessage'],
  queueConsume: [
    'sqs:ChangeMessageVisibility',
    'sqs:DeleteMessage',
    'sqs:GetQueueAttributes',
    'sqs:ReceiveMessage',
  ],
  busPublish: ['events:PutEvents'],
  parameterRead: ['ssm:GetParameters'],
  secretRead: ['secretsmanager:GetSecretValue'],
  keyDecrypt: ['kms:Decrypt'],
  keyEncrypt: ['kms:Decrypt', 'kms:GenerateDataKey'],
  logs: ['logs:CreateLogStream', 'logs:PutLogEvents'],
  tracing: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'],
  /** What AWSLambdaVPCAccessExecutionRole grants: Lambda creates and removes the function's ENIs. */
  vpc: [
    'ec2:AssignPrivateIpAddresses',
    'ec2:CreateNetworkInterface',
    'ec2:DeleteNetworkInterface',
    'ec2:DescribeNetworkInterfaces',
    'ec2:UnassignPrivateIpAddresses',
  ],
} as const satisfies Record<string, readonly string[]>;

/** Every action a table declaration may list: whether it writes (customer-managed keys need GenerateDataKey). */
const TABLE_ACTIONS: Readonly<Record<TableAction, 'read' | 'write'>> = {
  BatchGetItem: 'read',
  BatchWriteItem: 'write',
  ConditionCheckItem: 'read',
  DeleteItem: 'write',
  DescribeTable: 'read',
  GetItem: 'read',
  PutItem: 'write',
  Query: 'read',
  Scan: 'read',
  UpdateItem: 'write',
};
/** The actions that can name an index (`IndexName`); the others act on the table only. */
const INDEX_ACTIONS: readonly TableAction[] = ['Query', 'Scan'];
const PARAMETER_ACTIONS: readonly ParameterAction[] = ['GetParameter', 'GetParameters'];

export interface EnvironmentEntry {
  readonly value: string;
  /** Where it was declared, for error messages: `uses.tables[0].env`. */
  readonly declaredAt: string;
}

export interface ResolvedUses {
  readonly grants: DeclaredGrant[];
  readonly environment: Map<string, EnvironmentEntry>;
}

const label = (construct: IConstruct) => construct.node.id;

/** Grants and environment variables for a set of declarations. */
export function resolveUses(uses: Uses, at = 'uses'): ResolvedUses {
  const grants: DeclaredGrant[] = [];
  const environment = new Map<string, EnvironmentEntry>();
  const grant = (reason: string, actions: readonly string[], resources: string[]) =>
    grants.push({ origin: 'uses', reason, actions: [...actions], resources });
  const keyGrant = (reason: string, key: kms.IKey | undefined, write: boolean) => {
    if (key) grant(`${reason}, key`, write ? ACTIONS.keyEncrypt : ACTIONS.keyDecrypt, [key.keyArn]);
  };
  const env = (name: string | undefined, value: string, declaredAt: string) => {
    if (name === undefined) return;
    if (environment.has(name)) {
      throw new Error(
        `${declaredAt}: environment variable ${name} is already set by ${environment.get(name)?.declaredAt}; give each declaration its own name`,
      );
    }
    environment.set(name, { value, declaredAt });
  };

  (uses.tables ?? []).forEach((use, i) => {
    const where = `${at}.tables[${i}]`;
    if ((use.access === undefined) === (use.actions === undefined)) {
      throw new Error(
        `${where}: give exactly one of actions (the DynamoDB actions the code calls, e.g. ['GetItem', 'PutItem']) and access (an action set: read, write, read-write or stream)`,
      );
    }
    const tableArn = use.table.tableArn;
    const indexArns = (names: readonly string[]) => names.map((name) => `${tableArn}/index/${name}`);
    const indexes = checkIndexes(use, where);
    if (use.actions !== undefined) {
      const actions = checkTableActions(use.actions, where);
      const reason = `table ${label(use.table)} (${actions.join(', ')})`;
      grant(
        reason,
        actions.map((action) => `dynamodb:${action}`),
        [tableArn],
      );
      const onIndexes = actions.filter((action) => INDEX_ACTIONS.includes(action));
      if (indexes && indexes.length > 0) {
        if (onIndexes.length === 0) {
          throw new Error(
            `${where}.indexes: only Query and Scan can name an index, and actions has neither; add the one the code calls, or remove indexes`,
          );
        }
        grant(
          `${reason}: indexes`,
          onIndexes.map((action) => `dynamodb:${action}`),
          indexArns(indexes),
        );
      }
      keyGrant(
        reason,
        use.table.encryptionKey,
        actions.some((action) => TABLE_ACTIONS[action] === 'write'),
      );
      env(use.env, use.table.tableName, `${where}.env`);
      return;
    }
    const reason = `table ${label(use.table)} (${use.access})`;
    const accesses: Record<TableAccess, Array<'read' | 'write' | 'stream'>> = {
      read: ['read'],
      write: ['write'],
      'read-write': ['read', 'write'],
      stream: ['stream'],
    };
    const parts = use.access ? accesses[use.access] : undefined;
    if (!parts) {
      throw new Error(
        `${where}.access must be read, write, read-write or stream, not "${String(use.access)}"`,
      );
    }
    if (indexes && !parts.includes('read')) {
      throw new Error(
        `${where}.indexes: ${use.access} access reads no index; use read or read-write, or actions`,
      );
    }
    for (const part of parts) {
      if (part === 'read') {
        grant(`${reason}: read`, ACTIONS.tableRead, [tableArn]);
        if (!indexes) grant(`${reason}: query indexes`, ACTIONS.indexRead, [`${tableArn}/index/*`]);
        else if (indexes.length > 0) grant(`${reason}: query indexes`, ACTIONS.indexRead, indexArns(indexes));
      } else if (part === 'write') {
        grant(`${reason}: write`, ACTIONS.tableWrite, [tableArn]);
      } else {
        const streamArn = use.table.tableStreamArn;
        if (!streamArn) {
          throw new Error(
            `${where}: table ${label(use.table)} has no stream; create it with \`stream\` (FerruleTable or dynamodb.Table) or import it with \`tableStreamArn\``,
          );
        }
        grant(`${reason}: stream records`, ACTIONS.streamRead, [streamArn]);
        grant(`${reason}: list streams`, ACTIONS.streamList, [`${tableArn}/stream/*`]);
      }
    }
    keyGrant(reason, use.table.encryptionKey, parts.includes('write'));
    env(use.env, use.table.tableName, `${where}.env`);
  });

  (uses.queues ?? []).forEach((use, i) => {
    const where = `${at}.queues[${i}]`;
    if (use.access !== 'send' && use.access !== 'consume') {
      throw new Error(`${where}.access must be send or consume, not "${String(use.access)}"`);
    }
    const reason = `queue ${label(use.queue)} (${use.access})`;
    grant(reason, use.access === 'send' ? ACTIONS.queueSend : ACTIONS.queueConsume, [use.queue.queueArn]);
    keyGrant(reason, use.queue.encryptionMasterKey, use.access === 'send');
    env(use.env, use.queue.queueUrl, `${where}.env`);
  });

  (uses.buses ?? []).forEach((use, i) => {
    grant(`bus ${label(use.bus)} (publish)`, ACTIONS.busPublish, [use.bus.eventBusArn]);
    env(use.env, use.bus.eventBusName, `${at}.buses[${i}].env`);
  });

  (uses.parameters ?? []).forEach((use, i) => {
    const reason = `parameter ${label(use.parameter)} (read)`;
    const actions =
      use.actions === undefined
        ? ACTIONS.parameterRead
        : checkParameterActions(use.actions, `${at}.parameters[${i}]`);
    grant(reason, actions, [use.parameter.parameterArn]);
    keyGrant(reason, use.key, false);
    env(use.env, `ssm:${use.parameter.parameterName}`, `${at}.parameters[${i}].env`);
  });

  (uses.secrets ?? []).forEach((use, i) => {
    const reason = `secret ${label(use.secret)} (read)`;
    // A secret imported by name has a partial ARN; Secrets Manager appends six random characters.
    const arn = use.secret.secretFullArn ?? `${use.secret.secretArn}-??????`;
    grant(reason, ACTIONS.secretRead, [arn]);
    keyGrant(reason, use.secret.encryptionKey, false);
    env(use.env, use.secret.secretFullArn ?? use.secret.secretName, `${at}.secrets[${i}].env`);
  });

  return { grants, environment };
}

/** The declared table actions, sorted, or an error naming what is wrong. */
function checkTableActions(actions: readonly TableAction[], where: string): TableAction[] {
  if (!Array.isArray(actions) || actions.length === 0) {
    throw new Error(`${where}.actions is empty; list the DynamoDB actions the code calls, e.g. ['GetItem']`);
  }
  for (const action of actions) {
    if (!Object.hasOwn(TABLE_ACTIONS, action)) {
      throw new Error(
        `${where}.actions: "${String(action)}" is not a table action; use ${Object.keys(TABLE_ACTIONS).join(', ')} (without the dynamodb: prefix)`,
      );
    }
  }
  const unique = [...new Set(actions)].sort();
  if (unique.length !== actions.length)
    throw new Error(`${where}.actions names an action twice; list each once`);
  return unique;
}

function checkIndexes(use: TableUse, where: string): readonly string[] | undefined {
  if (use.indexes === undefined) return undefined;
  for (const name of use.indexes) {
    // DynamoDB's rule for index names.
    if (!Token.isUnresolved(name) && !/^[A-Za-z0-9_.-]{3,255}$/.test(name)) {
      throw new Error(
        `${where}.indexes: "${name}" is not an index name (3 to 255 letters, digits, '_', '-' or '.'); name each index the code queries`,
      );
    }
  }
  if (new Set(use.indexes).size !== use.indexes.length)
    throw new Error(`${where}.indexes names an index twice`);
  return use.indexes;
}

function checkParameterActions(actions: readonly ParameterAction[], where: string): string[] {
  if (!Array.isArray(actions) || actions.length === 0) {
    throw new Error(
      `${where}.actions is empty; leave it out for GetParameters (what ferrule-parameters calls)`,
    );
  }
  for (const action of actions) {
    if (!PARAMETER_ACTIONS.includes(action)) {
      throw new Error(
        `${where}.actions: "${String(action)}" is not a parameter read; use ${PARAMETER_ACTIONS.join(' or ')} (without the ssm: prefix)`,
      );
    }
  }
  return [...new Set(actions)].sort().map((action) => `ssm:${action}`);
}
