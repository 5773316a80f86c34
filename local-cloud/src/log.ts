// One log stream for the whole local cloud: each line prefixed with the function and request id,
// Lambda's JSON log lines pretty-printed (or passed raw with --json), a START and a REPORT line
// per invocation as Lambda writes them to CloudWatch. With `files`, every line also goes, as
// written, to the function's file under .ferrule/logs/ (read back by `ferrule logs`).
import type { InvokeReport } from '@ferrule/emulator';
import type { LogFiles } from './log-files.ts';

export interface LogSinkOptions {
  /** Lines as the functions wrote them (no pretty-printing). @default false */
  readonly json?: boolean;
  /** ANSI colours. @default false */
  readonly color?: boolean;
  /** Where lines go. @default process.stdout */
  readonly write?: (text: string) => void;
  /** Also append every function line, as written, to the function's log file. */
  readonly files?: LogFiles;
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
    this.options.files?.append(functionName, requestId, line);
    this.show(functionName, requestId, line);
  }

  /** Lambda's START line, before the invocation's own lines. */
  start(functionName: string, requestId: string): void {
    const text = startLine(requestId);
    this.options.files?.append(functionName, requestId, text);
    this.show(functionName, requestId, text);
  }

  /** Lambda's END and REPORT lines, then the end of stderr when init failed. */
  report(functionName: string, report: InvokeReport): void {
    const lines = [endLine(report.requestId), reportLine(report)];
    for (const text of lines) {
      this.options.files?.append(functionName, report.requestId, text);
      this.show(functionName, report.requestId, text);
    }
    const outcome = report.outcome;
    if (outcome.kind === 'error' && outcome.stderr && outcome.phase === 'init' && !this.options.json) {
      for (const line of outcome.stderr.trimEnd().split('\n').slice(-10)) {
        this.write(`${this.prefix(functionName, report.requestId)}   ${line}\n`);
      }
    }
  }

  /**
   * Prints one line as the stream shows it, without writing it to a file: platform lines dimmed
   * (a failed REPORT in red), function lines pretty-printed unless --json. `ferrule logs` prints
   * the lines of the files with it.
   */
  show(functionName: string, requestId: string | undefined, line: string): void {
    let text: string;
    if (PLATFORM_LINE.test(line)) {
      const failed = line.startsWith('REPORT ') && line.includes('\tStatus: ');
      text = this.options.json ? line : this.paint(failed ? '\x1b[31m' : '\x1b[2m', line);
    } else {
      text = this.options.json ? line : this.pretty(line);
    }
    this.write(`${this.prefix(functionName, requestId)} ${text}\n`);
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

/** Lambda's platform lines (START, END, REPORT), as opposed to the lines a function writes. */
const PLATFORM_LINE = /^(START|END|REPORT) RequestId: /;

/** Whether a line is one of Lambda's START, END or REPORT lines. */
export function isPlatformLine(line: string): boolean {
  return PLATFORM_LINE.test(line);
}

/** `START RequestId: <id> Version: $LATEST`, as Lambda writes it. */
export function startLine(requestId: string): string {
  return `START RequestId: ${requestId} Version: $LATEST`;
}

/** `END RequestId: <id>`, as Lambda writes it. */
export function endLine(requestId: string): string {
  return `END RequestId: ${requestId}`;
}

/**
 * The REPORT line: duration, billed duration, memory size, max memory used, init duration on a
 * cold start, then `(cold)`/`(warm)` and the error, which Lambda does not write but a local run
 * wants to see at a glance.
 */
export function reportLine(report: InvokeReport): string {
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
  return parts.join('\t');
}

function cut(text: string): string {
  return text.length > MAX_PRETTY_CHARS
    ? `${text.slice(0, MAX_PRETTY_CHARS)}… [${text.length - MAX_PRETTY_CHARS} more characters; --json shows the whole line]`
    : text;
}
