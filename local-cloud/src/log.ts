// One log stream for the whole local cloud: each line prefixed with the function and request id,
// Lambda's JSON log lines pretty-printed (or passed raw with --json), a START and a REPORT line
// per invocation as Lambda writes them to CloudWatch.
import type { InvokeReport } from '@ferrule/emulator';

export interface LogSinkOptions {
  /** Lines as the functions wrote them (no pretty-printing). @default false */
  readonly json?: boolean;
  /** ANSI colours. @default false */
  readonly color?: boolean;
  /** Where lines go. @default process.stdout */
  readonly write?: (text: string) => void;
}

const LEVEL_COLOURS: Record<string, string> = {
  TRACE: '\x1b[90m',
  DEBUG: '\x1b[36m',
  INFO: '\x1b[32m',
  WARN: '\x1b[33m',
  ERROR: '\x1b[31m',
  FATAL: '\x1b[31m',
};
/** Keys a pretty line shows in its head, not among the fields. */
const HEAD_KEYS = new Set(['timestamp', 'level', 'message', 'msg', 'requestId', 'time']);
/** Lines longer than this are cut with a marker in the pretty view (--json keeps them whole). */
const MAX_PRETTY_CHARS = 4000;

export class LogSink {
  private readonly write: (text: string) => void;
  private nameWidth: number;

  constructor(
    private readonly options: LogSinkOptions = {},
    names: readonly string[] = [],
  ) {
    this.write = options.write ?? ((text) => process.stdout.write(text));
    this.nameWidth = Math.min(28, Math.max(18, ...names.map((n) => n.length)));
  }

  /** A line of the local cloud itself (start-up, rebuilds, deliveries). */
  info(message: string): void {
    this.write(`${this.paint('\x1b[2m', 'ferrule'.padEnd(this.nameWidth))}  ${message}\n`);
  }

  /** A line a function wrote. */
  line(functionName: string, requestId: string | undefined, line: string): void {
    const text = this.options.json ? line : this.pretty(line);
    this.write(`${this.prefix(functionName, requestId)} ${text}\n`);
  }

  /** Lambda's START line, before the invocation's own lines. */
  start(functionName: string, requestId: string): void {
    this.write(
      `${this.prefix(functionName, requestId)} ${this.paint('\x1b[2m', `START RequestId: ${requestId} Version: $LATEST`)}\n`,
    );
  }

  report(functionName: string, report: InvokeReport): void {
    const parts = [
      `REPORT RequestId: ${report.requestId}`,
      `Duration: ${report.durationMs.toFixed(2)} ms`,
      `Billed Duration: ${Math.max(1, Math.ceil(report.durationMs))} ms`,
      `Memory Size: ${report.memorySizeMb} MB`,
      `Max Memory Used: ${report.maxMemoryUsedMb ?? '?'} MB`,
    ];
    if (report.coldStart && report.initDurationMs !== undefined) {
      parts.push(`Init Duration: ${report.initDurationMs.toFixed(2)} ms`);
    }
    parts.push(report.coldStart ? '(cold)' : '(warm)');
    const outcome = report.outcome;
    if (outcome.kind === 'error') {
      parts.push(
        `Status: ${outcome.phase === 'init' ? 'init error' : 'error'} ${outcome.errorType}: ${outcome.errorMessage}`,
      );
    }
    const text = parts.join('\t');
    const colour = outcome.kind === 'error' ? '\x1b[31m' : '\x1b[2m';
    this.write(
      `${this.prefix(functionName, report.requestId)} ${this.paint('\x1b[2m', `END RequestId: ${report.requestId}`)}\n`,
    );
    this.write(
      `${this.prefix(functionName, report.requestId)} ${this.options.json ? text : this.paint(colour, text)}\n`,
    );
    if (outcome.kind === 'error' && outcome.stderr && outcome.phase === 'init' && !this.options.json) {
      for (const line of outcome.stderr.trimEnd().split('\n').slice(-10)) {
        this.write(`${this.prefix(functionName, report.requestId)}   ${line}\n`);
      }
    }
  }

  /** Makes the name column as wide as the longest of `names` (the local cloud's functions), up to 28. */
  fitNames(names: readonly string[]): void {
    this.nameWidth = Math.min(28, Math.max(this.nameWidth, ...names.map((n) => n.length)));
  }

  private prefix(functionName: string, requestId: string | undefined): string {
    // --json output is for machines: names are never cut there.
    const name =
      functionName.length > this.nameWidth && !this.options.json
        ? `${functionName.slice(0, this.nameWidth - 1)}…`
        : functionName;
    return `${this.paint('\x1b[35m', name.padEnd(this.nameWidth))} ${this.paint('\x1b[2m', (requestId ?? '-').slice(0, 8).padEnd(8))}`;
  }

  /** `12:00:00.123 INFO  message key=value …` from a JSON log line; other lines as they are. */
  pretty(line: string): string {
    if (!line.startsWith('{')) return cut(line);
    let record: Record<string, unknown>;
    try {
      record = JSON.parse(line) as Record<string, unknown>;
    } catch {
      return cut(line);
    }
    if (record === null || typeof record !== 'object' || Array.isArray(record)) return cut(line);
    if ('_aws' in record) return this.paint('\x1b[2m', cut(`EMF ${line}`));
    const level = String(record.level ?? '').toUpperCase();
    const time = typeof record.timestamp === 'string' ? record.timestamp.slice(11, 23) : '';
    const message = record.message ?? record.msg ?? '';
    const fields = Object.entries(record)
      .filter(([key]) => !HEAD_KEYS.has(key))
      .map(([key, value]) => `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`);
    const head = [time, level ? this.paint(LEVEL_COLOURS[level] ?? '', level.padEnd(5)) : ''].filter(Boolean);
    return cut(
      [...head, typeof message === 'string' ? message : JSON.stringify(message), ...fields].join(' '),
    );
  }

  private paint(colour: string, text: string): string {
    return this.options.color && colour ? `${colour}${text}\x1b[0m` : text;
  }
}

function cut(text: string): string {
  return text.length > MAX_PRETTY_CHARS
    ? `${text.slice(0, MAX_PRETTY_CHARS)}… [${text.length - MAX_PRETTY_CHARS} more characters; --json shows the whole line]`
    : text;
}
