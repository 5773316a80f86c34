import { existsSync } from 'node:fs';
import { relative } from 'node:path';
import { buildFunctions } from '@ferrule/toolchain/build';
import { ZIP_BUDGET_BYTES } from '@ferrule/toolchain/limits';
import {
  artifactPath,
  findFunction,
  lambdaRuntimeId,
  listFunctions,
  parsePlatform,
  projectRoot,
} from '@ferrule/toolchain/project';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import { type AppFunction, listAppFunctions } from '../app-functions.ts';
import { CliError } from '../errors.ts';
import { listFixtures, loadEvent } from '../events.ts';
import { scaffoldFunction, TRIGGERS } from '../scaffold/index.ts';
import { declareUse } from './declare-use.ts';
import { loadSources } from './sources.ts';
import { runVerify, summarize } from './verify.ts';

/** Longest silence between two progress notifications of a running verify. */
const HEARTBEAT_MS = 15_000;

const functionName = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_-]*$/, 'a crate name: lowercase letters, digits, - and _')
  .describe('function crate name, e.g. hello-http (see list_functions)');
const arch = z.enum(['x86_64', 'arm64']).optional().describe('default x86_64');
const runtime = z.enum(['al2023', 'al2']).optional().describe('default al2023');

function ok(value: unknown): CallToolResult {
  return { content: [{ type: 'text', text: JSON.stringify(value, null, 2) }] };
}

function failure(message: string): CallToolResult {
  return { content: [{ type: 'text', text: message }], isError: true };
}

/**
 * Runs a tool body and turns every error into a tool error: a user error keeps its message
 * (which names the fix); anything else is reported, never thrown at the transport.
 */
async function guarded(body: () => Promise<CallToolResult>): Promise<CallToolResult> {
  try {
    return await body();
  } catch (error) {
    if (error instanceof CliError) return failure(error.message);
    return failure(
      `unexpected error: ${(error as Error).message ?? String(error)}. Fix: run the matching \`npx ferrule\` command in a terminal to see the whole output.`,
    );
  }
}

/** Normalises `NoWildcardPermissions`, `adr002-nowildcardpermissions[Action::s3:*]` to the rule id. */
export function ruleKey(id: string): string {
  const base = id.trim().replace(/\[.*$/, '');
  const withPack = /^adr002-/i.test(base) ? base : `ADR002-${base}`;
  return withPack.toLowerCase();
}

/** The Ferrule MCP server: tools that do the work deterministically, with validated inputs. */
export function createMcpServer(): McpServer {
  const server = new McpServer({ name: 'ferrule', version: '0.1.0' });

  server.registerTool(
    'list_functions',
    {
      title: 'List functions',
      description:
        'Every Lambda function of backend/functions/ with its trigger, fixtures, local environment and, when the app has been built and synthesized (npx ferrule build && npx ferrule synth), its runtime, memory, timeout and the IAM actions of its role.',
      inputSchema: {},
    },
    () =>
      guarded(async () => {
        const functions = await listFunctions();
        // The synthesized app (cdk.out) says how each function is deployed; read, never synthesized here.
        let deployed: AppFunction[] = [];
        let note: string | undefined;
        try {
          deployed = await listAppFunctions({ synth: false });
        } catch {
          note =
            'no synthesized app in cdk.out: run `npx ferrule build` then `npx ferrule synth` to see permissions';
        }
        return ok({
          functions: functions.map((fn) => ({
            name: fn.name,
            trigger: fn.trigger,
            description: fn.description,
            dir: fn.dir,
            fixtures: fn.events.map((event) => event.event),
            localEnvironment: Object.keys(fn.environment).sort(),
            deployed: deployed
              .filter((app) => app.crate === fn.name)
              .map((app) => ({
                stack: app.stack,
                constructPath: app.constructPath,
                triggers: app.triggers,
                runtime: app.runtime,
                architecture: app.architecture,
                memoryMb: app.memoryMb,
                timeoutSeconds: app.timeoutSeconds,
                actions: app.iamActions,
                permissions: app.permissions,
              })),
          })),
          note,
        });
      }),
  );

  const resourceNames = z.array(z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'kebab-case')).optional();
  server.registerTool(
    'scaffold_function',
    {
      title: 'Scaffold a function',
      description:
        "Runs `npx ferrule new function`: creates backend/functions/<name> (crate, handler, tests, fixture) from the trigger template, its CDK wiring infrastructure/functions/<name>.ts (the function added to a service: `functions`, or `orders` to use the reference service's table, bus, queue, user pool and API) and the regenerated infrastructure/functions/index.ts. Never overwrites a file. Use dryRun to see the files first.",
      inputSchema: {
        name: z.string().describe('crate name, kebab-case (payments-webhook)'),
        trigger: z.enum(TRIGGERS),
        service: z
          .string()
          .optional()
          .describe('the service it joins: functions (default; resources made on first use) or orders'),
        concurrent: z
          .boolean()
          .optional()
          .describe('run many invocations at once on Lambda Managed Instances (default false)'),
        tables: z
          .array(z.string().regex(/^[a-z0-9][a-z0-9-]*(:(read|write|read-write))?$/, 'name or name:access'))
          .optional()
          .describe(
            'tables it uses, name or name:read|write|read-write (default read-write; dynamodb-stream: the first is the streamed table)',
          ),
        indexes: z
          .array(z.string())
          .optional()
          .describe(
            'indexes of the first table it queries (only these are granted; the table becomes read-only)',
          ),
        queues: resourceNames.describe(
          'queues (sqs, sqs-fifo: the first is the consumed queue; it sends to others)',
        ),
        buses: resourceNames.describe('buses (eventbridge: the first is the bus its rule listens on)'),
        schedule: z.string().optional().describe('schedule only: rate(...) or cron(...)'),
        route: z.string().optional().describe('http only: "<METHOD> <path>"'),
        userPool: z.string().optional().describe('cognito-*: the pool; http: a JWT authorizer on that pool'),
        description: z.string().max(200).optional(),
        dryRun: z.boolean().optional().describe('report the files, write nothing (default false)'),
      },
    },
    (input) =>
      guarded(async () =>
        ok(
          await scaffoldFunction({
            name: input.name,
            trigger: input.trigger,
            service: input.service,
            concurrent: input.concurrent,
            tables: input.tables,
            indexes: input.indexes,
            queues: input.queues,
            buses: input.buses,
            schedule: input.schedule,
            route: input.route,
            userPool: input.userPool,
            description: input.description,
            dryRun: input.dryRun ?? false,
          }),
        ),
      ),
  );

  server.registerTool(
    'declare_use',
    {
      title: 'Declare a resource use',
      description:
        "Gives a scaffolded function access to a table, queue or bus of its service by adding it to `uses` of its `stack.addFunction` call in infrastructure/functions/<name>.ts (an edit through the TypeScript AST; the rest of the file is kept), and declares the env variable in the crate's [package.metadata.ferrule.env]. The stack grants exactly that access on that resource and sets the variable. For functions in infrastructure/lib/*-stack.ts, follow the declare-resource-use skill instead.",
      inputSchema: {
        function: functionName,
        kind: z.enum(['table', 'queue', 'bus']),
        resource: z
          .string()
          .regex(/^[a-z0-9][a-z0-9-]*$/, 'kebab-case')
          .describe('resource name, e.g. orders'),
        access: z
          .enum(['read', 'write', 'read-write', 'stream', 'send', 'consume'])
          .optional()
          .describe('table: read | write | read-write | stream; queue: send | consume; bus: omit'),
        env: z
          .string()
          .regex(/^[A-Z_][A-Z0-9_]*$/)
          .optional()
          .describe('environment variable (default ORDERS_TABLE, JOBS_QUEUE_URL, EVENTS_BUS)'),
      },
    },
    (input) =>
      guarded(async () =>
        ok(
          declareUse({
            function: input.function,
            kind: input.kind,
            resource: input.resource,
            access: input.access,
            env: input.env,
          }),
        ),
      ),
  );

  server.registerTool(
    'build',
    {
      title: 'Build functions',
      description:
        'One `cargo lambda build --release` (zig, glibc of the runtime) into dist/lambda/<runtime>-<arch>/<fn>/bootstrap.zip. Returns each artifact with its sizes against the 3 MB budget.',
      inputSchema: {
        functions: z.array(functionName).optional().describe('crate names; all functions when empty'),
        arch,
        runtime,
      },
    },
    ({ functions, arch: architecture, runtime: os }) =>
      guarded(async () => {
        const platform = parsePlatform({ arch: architecture, runtime: os });
        const built = await buildFunctions({ platform, functions: functions ?? [], progress: 'quiet' });
        return ok(
          built.map((artifact) => ({
            function: artifact.function.name,
            runtime: lambdaRuntimeId[platform.runtime],
            architecture: platform.architecture,
            path: relative(projectRoot, artifact.path),
            zippedBytes: artifact.zippedBytes,
            unzippedBytes: artifact.unzippedBytes,
            withinBudget: artifact.zippedBytes <= ZIP_BUDGET_BYTES,
            packaging: artifact.needsImage ? 'image' : 'zip',
          })),
        );
      }),
  );

  server.registerTool(
    'invoke',
    {
      title: 'Invoke a function with a fixture',
      description:
        "Runs the built bootstrap.zip under the Lambda Runtime API emulator with one event fixture (backend/events/<source>/<variant>.json) and returns the response, the logs and the REPORT figures. The function talks to the running local cloud, or to a moto of its own with the app's resources, never to AWS; memory, timeout and environment are the template's. Build first.",
      inputSchema: {
        function: functionName,
        event: z
          .string()
          .regex(
            /^[a-z0-9-]+\/[a-z0-9._-]+$/i,
            'a fixture name <source>/<variant>, e.g. apigw-http/get-hello',
          )
          .describe('fixture name, e.g. apigw-http/get-hello (see `npx ferrule events`)'),
        environment: z
          .record(z.string().regex(/^[A-Z_][A-Z0-9_]*$/), z.string())
          .optional()
          .describe(
            "extra environment variables on top of the template's (or the crate's [package.metadata.ferrule.env])",
          ),
        memoryMb: z
          .number()
          .int()
          .min(128)
          .max(10240)
          .optional()
          .describe("default: the template's, else 128"),
        timeoutSeconds: z
          .number()
          .int()
          .min(1)
          .max(900)
          .optional()
          .describe("default: the template's, else 3"),
        arch,
        runtime,
      },
    },
    (input) =>
      guarded(async () => {
        const platform = parsePlatform({ arch: input.arch, runtime: input.runtime });
        const fn = await findFunction(input.function);
        if (!listFixtures().includes(input.event)) {
          const source = input.event.split('/')[0] ?? '';
          const known = listFixtures(source).join(', ') || 'none';
          throw new CliError(
            `no fixture \`${input.event}\` in backend/events/; fixtures of \`${source}\`: ${known}. Fix: add backend/events/${input.event}.json or use one of those`,
          );
        }
        const event = await loadEvent(input.event);
        const artifact = artifactPath(fn.name, platform);
        if (!existsSync(artifact)) {
          throw new CliError(
            `no artifact for ${fn.name} at ${relative(projectRoot, artifact)}. Fix: call the build tool with functions ["${fn.name}"] (or run \`npx ferrule build ${fn.name}\`)`,
          );
        }
        // Against the running local cloud or a moto of its own, never AWS (cli/src/actions/invoke.ts).
        const { invokeFunction } = await import('../actions/invoke.ts');
        const notes: string[] = [];
        const report = await invokeFunction({
          fn,
          artifact,
          event: event.text,
          ...(input.memoryMb !== undefined ? { memoryMb: input.memoryMb } : {}),
          ...(input.timeoutSeconds !== undefined ? { timeoutSeconds: input.timeoutSeconds } : {}),
          ...(input.environment ? { environment: input.environment } : {}),
          onNote: (note) => notes.push(note),
        });
        const { outcome } = report;
        return ok({
          function: fn.name,
          event: input.event,
          outcome: outcome.kind,
          response: outcome.kind === 'success' ? outcome.json : undefined,
          error:
            outcome.kind === 'error'
              ? { errorType: outcome.errorType, errorMessage: outcome.errorMessage, phase: outcome.phase }
              : undefined,
          logs: report.logs,
          notes,
          report: {
            coldStart: report.coldStart,
            initDurationMs: report.initDurationMs,
            durationMs: report.durationMs,
            maxMemoryUsedMb: report.maxMemoryUsedMb,
            memorySizeMb: report.memorySizeMb,
          },
        });
      }),
  );

  server.registerTool(
    'verify',
    {
      title: 'Verify (the definition of done)',
      description:
        'Runs `npx ferrule verify`: cargo fmt, clippy -D warnings, cargo test, tsc, biome, agent check and, unless quick, the build and `npx ferrule check` (synth with the ADR-002, AwsSolutions and Serverless packs + cfn-lint + IAM equals code, findings per function with their fix). Returns every step and the first thing to fix. A failing verify is a normal result, not a tool error.',
      inputSchema: {
        quick: z.boolean().optional().describe('skip build and synth (default false); not enough to finish'),
      },
    },
    ({ quick }, extra) =>
      guarded(async () => {
        // Progress notifications (when the client asks for them) keep a long verify from hitting
        // the client's request timeout while it makes progress: one per step and per second of output.
        const progressToken = extra._meta?.progressToken;
        let progress = 0;
        let lastSent = 0;
        const notify = (message: string) => {
          if (progressToken === undefined) return;
          lastSent = Date.now();
          progress += 1;
          void extra
            .sendNotification({
              method: 'notifications/progress',
              params: { progressToken, progress, message },
            })
            .catch(() => undefined);
        };
        // And a heartbeat while a step is silent (a link or a test binary that prints nothing
        // for a minute on a loaded machine): progress must not depend on the machine's speed.
        let current = 'verify';
        let stepStarted = Date.now();
        const heartbeat = setInterval(() => {
          if (Date.now() - lastSent >= HEARTBEAT_MS) {
            notify(`${current}: still running (${Math.round((Date.now() - stepStarted) / 1000)} s)`);
          }
        }, HEARTBEAT_MS);
        let report: Awaited<ReturnType<typeof runVerify>>;
        try {
          report = await runVerify({
            quick: quick ?? false,
            onStep: (event) => {
              if (!event.done) {
                current = event.title;
                stepStarted = Date.now();
              }
              notify(event.done ? `${event.title}: ${event.done.status}` : `${event.title}…`);
            },
            onOutput: () => {
              if (Date.now() - lastSent >= 1000) notify('working');
            },
          });
        } finally {
          clearInterval(heartbeat);
        }
        return {
          content: [
            { type: 'text', text: summarize(report) },
            { type: 'text', text: JSON.stringify(report, null, 2) },
          ],
        };
      }),
  );

  server.registerTool(
    'explain_rule',
    {
      title: 'Explain a rule',
      description:
        'Explains an ADR-002 rule-pack finding (e.g. ADR002-NoWildcardPermissions[Action::s3:*]) with what it checks, why, and how to fix it; or returns an agent rule from agent/rules/ by name (rust-functions, cdk, testing, security, performance).',
      inputSchema: {
        id: z.string().min(1).max(200).describe('ADR002-<Rule>, <Rule>, a finding id, or an agent rule name'),
      },
    },
    ({ id }) =>
      guarded(async () => {
        const agentRule = loadSources().sources.rules.find((rule) => rule.id === id.trim().toLowerCase());
        if (agentRule) {
          return ok({ kind: 'agent rule', id: agentRule.id, title: agentRule.title, text: agentRule.body });
        }
        // Loaded on demand: the rule pack pulls in aws-cdk-lib and cdk-nag.
        const { ADR002_RULES } = await import('@ferrule/infrastructure');
        const rule = ADR002_RULES.find((candidate) => candidate.id.toLowerCase() === ruleKey(id));
        if (!rule) {
          const known = [
            ...ADR002_RULES.map((candidate) => candidate.id),
            ...loadSources().sources.rules.map((r) => r.id),
          ];
          throw new CliError(`unknown rule \`${id}\`. Fix: use one of ${known.join(', ')}`);
        }
        return ok({
          kind: 'ADR-002 rule pack (cdk-nag, checked on every synth)',
          id: rule.id,
          finding: id.trim(),
          whatAndFix: rule.info,
          why: rule.explanation,
          docs: 'docs/rules.md',
        });
      }),
  );

  return server;
}
