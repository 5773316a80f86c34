import { readdirSync } from 'node:fs';
import { camelCase, pascalCase } from './names.ts';

/** A value written as a TypeScript literal. */
export type Literal = string | number | boolean | readonly Literal[] | { readonly [key: string]: Literal };

/**
 * A TypeScript literal for `value` (single quotes, bare keys where allowed). Biome then
 * lays it out, so the generated file reads like hand-written code.
 */
export function literal(value: Literal): string {
  if (typeof value === 'string') return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return `[${value.map(literal).join(', ')}]`;
  const entries = Object.entries(value as Record<string, Literal>).map(
    ([key, inner]) => `${/^[A-Za-z_$][\w$]*$/.test(key) ? key : literal(key)}: ${literal(inner)}`,
  );
  return entries.length === 0 ? '{}' : `{ ${entries.join(', ')} }`;
}

/** How a function is invoked, as the wiring file adds it to the service. */
export type WiredTrigger =
  | {
      readonly type: 'http';
      readonly method: string;
      readonly path: string;
      /** A JWT of this pool's web client; absent: a public route. */
      readonly userPool?: string;
    }
  | { readonly type: 'sqs'; readonly queue: string; readonly fifo: boolean }
  | { readonly type: 'dynamodb-stream'; readonly table: string }
  | {
      readonly type: 'eventbridge';
      readonly bus?: string;
      readonly source: string;
      readonly detailType: string;
    }
  | { readonly type: 'schedule'; readonly schedule: string }
  | {
      readonly type: 'cognito';
      readonly userPool: string;
      readonly operation: 'pre-sign-up' | 'post-confirmation';
    };

/** What the function touches, by the service's resource names. */
export interface WiredUses {
  readonly tables: readonly {
    readonly table: string;
    readonly access: 'read' | 'write' | 'read-write';
    readonly indexes?: readonly string[];
    readonly env: string;
  }[];
  readonly queues: readonly { readonly queue: string; readonly access: 'send'; readonly env: string }[];
  readonly buses: readonly { readonly bus: string; readonly env: string }[];
}

export interface Wiring {
  readonly name: string;
  readonly service: string;
  readonly description: string;
  readonly trigger: WiredTrigger;
  readonly uses: WiredUses;
  /** Whether the service creates resources when first named (the `functions` service). */
  readonly createsOnFirstUse: boolean;
}

/** The reason a scaffolded public route gives the rule packs (`publicBecause`). */
export const PUBLIC_ROUTE_REASON =
  'Public by choice (scaffolded without --user-pool): the function authenticates the caller itself (a webhook signature, for example) or the route is meant to be open.';

/**
 * The file `infrastructure/functions/<name>.ts`: the function's CDK wiring, written once and
 * then owned by the user. It uses the constructs the reference service uses (`RustFunction`
 * through `stack.addFunction`, `uses` with construct objects, `FerruleRule`, queue consumers,
 * stream consumers, routes), with the service's shared resources from `stack.resources`.
 */
export function wiringFile(wiring: Wiring): string {
  const { name, service, trigger } = wiring;
  const id = pascalCase(name);
  const imports = new Set<string>();
  const usesLines: string[] = [];
  const { tables, queues, buses } = wiring.uses;
  if (tables.length > 0) {
    usesLines.push(
      `tables: [${tables
        .map(
          (use) =>
            `{ table: stack.resources.table(${literal(use.table)}).table, access: ${literal(use.access)}${
              use.indexes && use.indexes.length > 0 ? `, indexes: ${literal(use.indexes)}` : ''
            }, env: ${literal(use.env)} }`,
        )
        .join(', ')}],`,
    );
  }
  if (queues.length > 0) {
    usesLines.push(
      `queues: [${queues
        .map(
          (use) =>
            `{ queue: stack.resources.queue(${literal(use.queue)}).queue, access: ${literal(use.access)}, env: ${literal(use.env)} }`,
        )
        .join(', ')}],`,
    );
  }
  if (buses.length > 0) {
    usesLines.push(
      `buses: [${buses.map((use) => `{ bus: stack.resources.bus(${literal(use.bus)}), env: ${literal(use.env)} }`).join(', ')}],`,
    );
  }

  const props = [`crate: ${literal(name)},`, `description: ${literal(wiring.description)},`];
  if (trigger.type === 'cognito') {
    imports.add("import { Duration } from 'aws-cdk-lib';");
    props.push('// Cognito gives up on a trigger after 5 s.', 'timeout: Duration.seconds(5),');
  }
  if (usesLines.length > 0) props.push('uses: {', ...usesLines, '},');

  const triggerLines: string[] = [];
  switch (trigger.type) {
    case 'http': {
      imports.add("import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';");
      const method = `methods: [apigwv2.HttpMethod.${trigger.method}]`;
      if (trigger.userPool) {
        triggerLines.push(
          `// Authorized by a JWT of the ${trigger.userPool} user pool's web client.`,
          `stack.resources.httpApi({ userPool: ${literal(trigger.userPool)} }).addRoute(${literal(trigger.path)}, fn, {`,
          `  ${method},`,
          '});',
        );
      } else {
        triggerLines.push(
          '// Public: give the route `authorized: false` a reason, or put it behind a user pool with',
          "// `stack.resources.httpApi({ userPool: 'users' })` and no `authorized` option.",
          `stack.resources.httpApi().addRoute(${literal(trigger.path)}, fn, {`,
          `  ${method},`,
          '  authorized: false,',
          `  publicBecause: ${literal(PUBLIC_ROUTE_REASON)},`,
          '});',
        );
      }
      break;
    }
    case 'sqs':
      triggerLines.push(
        '// Partial batch failures; failed messages move to the dead-letter queue after 5 receives.',
        `stack.resources.queue(${literal(trigger.queue)}${trigger.fifo ? ', { fifo: true }' : ''}).addConsumer(fn);`,
      );
      break;
    case 'dynamodb-stream':
      triggerLines.push(
        '// Bisected on error, bounded retries and age, failures to an on-failure queue.',
        `stack.resources.table(${literal(trigger.table)}).addStreamConsumer(fn);`,
      );
      break;
    case 'eventbridge':
    case 'schedule': {
      imports.add("import { FerruleRule } from '../lib/event-rule.ts';");
      if (trigger.type === 'schedule') imports.add("import * as events from 'aws-cdk-lib/aws-events';");
      const rule = [
        'service: stack.service,',
        'target: fn,',
        ...(trigger.type === 'schedule'
          ? [`schedule: events.Schedule.expression(${literal(trigger.schedule)}),`]
          : [
              ...(trigger.bus ? [`eventBus: stack.resources.bus(${literal(trigger.bus)}),`] : []),
              `// The pattern matches the fixture this function was written with; change it to the events it handles.`,
              `eventPattern: { source: [${literal(trigger.source)}], detailType: [${literal(trigger.detailType)}] },`,
            ]),
        `description: ${literal(`${trigger.type === 'schedule' ? trigger.schedule : 'events'} to ${name}`)},`,
      ];
      triggerLines.push(
        '// Bounded retries, a dead-letter queue for undelivered events and an on-failure queue.',
        `new FerruleRule(stack, ${literal(`${id}Rule`)}, {`,
        ...rule,
        '});',
      );
      break;
    }
    case 'cognito':
      imports.add("import * as cognito from 'aws-cdk-lib/aws-cognito';");
      triggerLines.push(
        `fn.addUserPoolTrigger(stack.resources.userPool(${literal(trigger.userPool)}).pool, cognito.UserPoolOperation.${
          trigger.operation === 'pre-sign-up' ? 'PRE_SIGN_UP' : 'POST_CONFIRMATION'
        });`,
      );
      break;
  }

  const resourcesNote = wiring.createsOnFirstUse
    ? '// `stack.resources` creates a table, queue, bus or user pool the first time a function names it.'
    : `// \`stack.resources\` hands out what the ${service} service has (infrastructure/lib/service-catalog.ts).`;
  return [
    `// The CDK wiring of backend/functions/${name} in the service \`${service}\`, written once by`,
    '// `ferrule new function`: yours to edit (trigger, `uses`, timeout, memory); it is never',
    '// rewritten. It adds the function with the constructs the reference service uses; `uses`',
    '// grants exactly the actions listed and sets each environment variable.',
    resourcesNote,
    ...[...imports].sort(),
    "import type { FerruleServiceStack } from '../lib/service-stack.ts';",
    '',
    `export const service = ${literal(service)};`,
    '',
    `export function wire(stack: FerruleServiceStack): void {`,
    `  const fn = stack.addFunction(${literal(id)}, {`,
    ...props.map((line) => `    ${line}`),
    '  });',
    ...triggerLines.map((line) => `  ${line}`),
    '}',
    '',
  ].join('\n');
}

/** Header of the generated index; also how `ferrule` recognises the file as its own. */
export const INDEX_HEADER =
  '// Generated by `ferrule new function` from the files of this folder. Do not edit:';

/**
 * `infrastructure/functions/index.ts`, generated from the folder listing: one import per
 * wiring file, in name order. `extra` adds files about to be written.
 */
export function indexFile(functionsDir: string, extra: readonly string[] = []): string {
  let files: string[] = [];
  try {
    files = readdirSync(functionsDir).filter((file) => file.endsWith('.ts') && file !== 'index.ts');
  } catch {
    files = [];
  }
  const names = [...new Set([...files.map((file) => file.slice(0, -'.ts'.length)), ...extra])].sort();
  const lines = [
    INDEX_HEADER,
    '// edit the function files instead; `npx ferrule new index` writes it again after a file is removed.',
    "import type { ServiceFunction } from '../lib/service-stack.ts';",
    ...names.map((name) => `import * as ${camelCase(name)} from './${name}.ts';`),
    '',
    `export const functions: readonly ServiceFunction[] = [${names.map(camelCase).join(', ')}];`,
    '',
  ];
  return lines.join('\n');
}
