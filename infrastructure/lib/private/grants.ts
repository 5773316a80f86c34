import type * as kms from 'aws-cdk-lib/aws-kms';
import type { IConstruct } from 'constructs';
import type { DeclaredGrant, TableAccess, Uses } from '../uses.ts';

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
  parameterRead: ['ssm:GetParameter', 'ssm:GetParameters', 'ssm:GetParametersByPath'],
  secretRead: ['secretsmanager:GetSecretValue'],
  keyDecrypt: ['kms:Decrypt'],
  keyEncrypt: ['kms:Decrypt', 'kms:GenerateDataKey'],
  logs: ['logs:CreateLogStream', 'logs:PutLogEvents'],
  tracing: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'],
} as const satisfies Record<string, readonly string[]>;

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
    const reason = `table ${label(use.table)} (${use.access})`;
    const accesses: Record<TableAccess, Array<'read' | 'write' | 'stream'>> = {
      read: ['read'],
      write: ['write'],
      'read-write': ['read', 'write'],
      stream: ['stream'],
    };
    const parts = accesses[use.access];
    if (!parts) {
      throw new Error(
        `${where}.access must be read, write, read-write or stream, not "${String(use.access)}"`,
      );
    }
    for (const part of parts) {
      if (part === 'read') {
        grant(`${reason}: read`, ACTIONS.tableRead, [use.table.tableArn, `${use.table.tableArn}/index/*`]);
      } else if (part === 'write') {
        grant(`${reason}: write`, ACTIONS.tableWrite, [use.table.tableArn]);
      } else {
        const streamArn = use.table.tableStreamArn;
        if (!streamArn) {
          throw new Error(
            `${where}: table ${label(use.table)} has no stream; create it with \`stream\` (FerruleTable or dynamodb.Table) or import it with \`tableStreamArn\``,
          );
        }
        grant(`${reason}: stream records`, ACTIONS.streamRead, [streamArn]);
        grant(`${reason}: list streams`, ACTIONS.streamList, [`${use.table.tableArn}/stream/*`]);
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
    grant(reason, ACTIONS.parameterRead, [use.parameter.parameterArn]);
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
