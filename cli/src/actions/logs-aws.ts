// `ferrule logs --aws`: the deployed function's CloudWatch Logs, with the shell's AWS settings.
// The log group is `--log-group`, else the one the template's LoggingConfig names (a literal
// name, or a log group of the stack whose physical name CloudFormation knows), else
// /aws/lambda/<the function's physical name>. --tail polls FilterLogEvents: StartLiveTail is a
// streaming API neither moto nor every account setup offers, and a poll every 2 s is well within
// FilterLogEvents' quota.
import { setTimeout as sleep } from 'node:timers/promises';
import { CloudFormationClient, DescribeStackResourceCommand } from '@aws-sdk/client-cloudformation';
import {
  CloudWatchLogsClient,
  type FilteredLogEvent,
  type FilterLogEventsCommandInput,
  paginateFilterLogEvents,
} from '@aws-sdk/client-cloudwatch-logs';
import { AssemblyError, functionResources, readAssembly } from '@ferrule/local-cloud/assembly';
import { type LogFilter, type LogRecord, matchesFilter, requestIdIn } from '@ferrule/local-cloud/log-files';
import { paths } from '@ferrule/toolchain/project';
import { CliError } from '../errors.ts';
import { CLOUDWATCH_POLL_MS, type Print } from './logs.ts';

export interface AwsLogsOptions {
  readonly filter: LogFilter;
  readonly tail: boolean;
  readonly logGroup?: string | undefined;
  /** Events per FilterLogEvents page. @default the service's (up to 10,000 or 1 MB) */
  readonly pageSize?: number;
  /** Where the line naming the log group goes. @default stderr */
  readonly note?: (line: string) => void;
  /** The clients' settings instead of the shell's (tests). */
  readonly clientConfig?: {
    readonly endpoint?: string;
    readonly region?: string;
    readonly credentials?: { readonly accessKeyId: string; readonly secretAccessKey: string };
  };
}

export async function awsLogs(name: string, options: AwsLogsOptions, print: Print, signal: AbortSignal) {
  const config = { ...options.clientConfig };
  const logs = new CloudWatchLogsClient(config);
  try {
    const region = await logs.config.region();
    const logGroup = options.logGroup ?? (await functionLogGroup(name, config));
    const note = options.note ?? ((line: string) => process.stderr.write(`==> ${line}\n`));
    note(`CloudWatch Logs ${logGroup} (${region}) with this shell's AWS credentials`);
    let since = options.filter.since;
    // Ids of the events at `since` already printed: the next poll starts at that millisecond again.
    let printedAtSince = new Set<string>();
    for (;;) {
      const events = await filterLogEvents(logs, logGroup, { ...options.filter, since }, options.pageSize);
      const fresh = events.filter((event) => !(event.eventId && printedAtSince.has(event.eventId)));
      for (const event of fresh) {
        const record = recordOf(event);
        if (matchesFilter(record, options.filter)) print(record);
      }
      const newest = events.reduce((max, event) => Math.max(max, event.timestamp ?? 0), since ?? 0);
      const atNewest = events.filter((e) => e.timestamp === newest).flatMap((e) => e.eventId ?? []);
      printedAtSince = new Set([...(newest === since ? printedAtSince : []), ...atNewest]);
      since = newest;
      if (!options.tail || signal.aborted) return;
      await sleep(CLOUDWATCH_POLL_MS, undefined, { signal }).catch(() => undefined);
      if (signal.aborted) return;
    }
  } catch (error) {
    if (error instanceof CliError) throw error;
    const failure = error as Error;
    if (failure.name === 'ResourceNotFoundException') {
      throw new CliError(
        `${failure.message}: check the region and the deployed stack, or pass --log-group`,
        1,
      );
    }
    throw new CliError(`CloudWatch Logs: ${failure.name}: ${failure.message}`, 1);
  } finally {
    logs.destroy();
  }
}

/** Every event from `filter.since` on, across pages; the request id narrows the search on the service side. */
async function filterLogEvents(
  client: CloudWatchLogsClient,
  logGroupName: string,
  filter: LogFilter,
  pageSize: number | undefined,
): Promise<FilteredLogEvent[]> {
  const input: FilterLogEventsCommandInput = {
    logGroupName,
    ...(filter.since !== undefined ? { startTime: Math.floor(filter.since) } : {}),
    // A quoted term matches the id anywhere in the line: the JSON lines' requestId, START/END/REPORT.
    ...(filter.requestId ? { filterPattern: `"${filter.requestId.replaceAll('"', '')}"` } : {}),
  };
  const events: FilteredLogEvent[] = [];
  for await (const page of paginateFilterLogEvents({ client, ...(pageSize ? { pageSize } : {}) }, input)) {
    events.push(...(page.events ?? []));
  }
  return events.sort((a, b) => (a.timestamp ?? 0) - (b.timestamp ?? 0));
}

function recordOf(event: FilteredLogEvent): LogRecord {
  const line = (event.message ?? '').replace(/\s+$/, '');
  const requestId = requestIdIn(line);
  return { time: event.timestamp ?? 0, ...(requestId ? { requestId } : {}), line };
}

/** The log group of the function built from crate `name`, from the stack synthesized in cdk.out. */
async function functionLogGroup(name: string, config: AwsLogsOptions['clientConfig']): Promise<string> {
  let stacks: ReturnType<typeof readAssembly>;
  try {
    stacks = readAssembly(paths.cdkOut);
  } catch (error) {
    if (error instanceof AssemblyError) {
      throw new CliError(
        `no synthesized app to find ${name}'s log group in: run \`npx ferrule synth\` or pass --log-group`,
      );
    }
    throw error;
  }
  const matches = functionResources(stacks, name);
  const [resource] = matches;
  if (!resource) {
    throw new CliError(
      `no function built from \`${name}\` in cdk.out: run \`npx ferrule synth\` or pass --log-group`,
    );
  }
  if (matches.length > 1) {
    const where = matches.map((m) => `${m.stackName}/${m.logicalId}`).join(', ');
    throw new CliError(`${name} is deployed more than once (${where}): pass --log-group`);
  }
  const stack = stacks.find((s) => s.stackName === resource.stackName);
  const logGroup = (resource.properties.LoggingConfig as { LogGroup?: unknown } | undefined)?.LogGroup;
  if (typeof logGroup === 'string') return logGroup;
  const cloudFormation = new CloudFormationClient({ ...config });
  try {
    const physicalId = async (logicalId: string) => {
      try {
        const described = await cloudFormation.send(
          new DescribeStackResourceCommand({ StackName: resource.stackName, LogicalResourceId: logicalId }),
        );
        const id = described.StackResourceDetail?.PhysicalResourceId;
        if (!id) throw new Error(`${logicalId} has no physical id yet`);
        return id;
      } catch (error) {
        throw new CliError(
          `CloudFormation does not know ${resource.stackName}/${logicalId} in this region (${(error as Error).message}): deploy the stack, select its region, or pass --log-group`,
          1,
        );
      }
    };
    const ref = (logGroup as { Ref?: unknown } | undefined)?.Ref;
    if (typeof ref === 'string') {
      const declared = stack?.resources.find((r) => r.logicalId === ref)?.properties.LogGroupName;
      return typeof declared === 'string' ? declared : await physicalId(ref);
    }
    const functionName = resource.properties.FunctionName;
    return `/aws/lambda/${typeof functionName === 'string' ? functionName : await physicalId(resource.logicalId)}`;
  } finally {
    cloudFormation.destroy();
  }
}
