// The functions' log lines on disk: one file per function under .ferrule/logs/ (git-ignored), written
// by the local cloud and `ferrule invoke`, read by `ferrule logs`. Each line of a file is
//
//   <ISO time>\t<request id or ->\t<the line as the function wrote it, or Lambda's START/END/REPORT>
//
// A file that grows past `maxBytes` becomes `<name>.log.1` (replacing the one before) and a new
// file starts, so a function keeps its last `maxBytes` to 2 × `maxBytes` of lines.
import {
  appendFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  statSync,
} from 'node:fs';
import { join } from 'node:path';
import { isPlatformLine } from './log.ts';

/** Size at which a function's file is rotated. */
export const LOG_FILE_MAX_BYTES = 5 * 1024 * 1024;

/** Lambda's application log levels, lowest first. */
export const LOG_LEVELS = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'FATAL'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface LogRecord {
  /** When the line was written (epoch milliseconds). */
  readonly time: number;
  readonly requestId?: string;
  /** The line as written: a function's (JSON) log line, or a START/END/REPORT line. */
  readonly line: string;
}

export interface LogFilesOptions {
  /** @default LOG_FILE_MAX_BYTES */
  readonly maxBytes?: number;
  /** Called once when a write fails; writing stops then (logging must never stop the functions). */
  readonly onError?: (error: Error) => void;
}

/** The file of a function's lines in `dir`. */
export function logFileOf(dir: string, functionName: string): string {
  return join(dir, `${functionName.replace(/[^A-Za-z0-9._-]/g, '_')}.log`);
}

/** Appends lines to the function files; several processes may append to the same files. */
export class LogFiles {
  private readonly maxBytes: number;
  /** Bytes in each file as this process last knew them; another writer may have added more. */
  private readonly sizes = new Map<string, number>();
  private failed = false;

  constructor(
    readonly dir: string,
    private readonly options: LogFilesOptions = {},
  ) {
    this.maxBytes = options.maxBytes ?? LOG_FILE_MAX_BYTES;
  }

  append(functionName: string, requestId: string | undefined, line: string, time: Date = new Date()): void {
    if (this.failed) return;
    const file = logFileOf(this.dir, functionName);
    // One line per write: a line the function wrote never contains a newline, a tab-free id does not.
    const text = `${time.toISOString()}\t${requestId ?? '-'}\t${line.replaceAll('\n', ' ')}\n`;
    try {
      let size = this.sizes.get(file);
      if (size === undefined) {
        mkdirSync(this.dir, { recursive: true });
        size = existsSync(file) ? statSync(file).size : 0;
      }
      if (size >= this.maxBytes) {
        // Another process may have rotated it already: only a file that is still full is moved.
        size = existsSync(file) ? statSync(file).size : 0;
        if (size >= this.maxBytes) {
          renameSync(file, `${file}.1`);
          size = 0;
        }
      }
      appendFileSync(file, text);
      this.sizes.set(file, size + Buffer.byteLength(text));
    } catch (error) {
      this.failed = true;
      this.options.onError?.(error as Error);
    }
  }
}

/** One line of a log file, or undefined for a line that is not one (a torn or foreign line). */
export function parseLogRecord(text: string): LogRecord | undefined {
  const first = text.indexOf('\t');
  const second = first < 0 ? -1 : text.indexOf('\t', first + 1);
  if (second < 0) return undefined;
  const time = Date.parse(text.slice(0, first));
  if (Number.isNaN(time)) return undefined;
  const requestId = text.slice(first + 1, second);
  return { time, ...(requestId !== '-' ? { requestId } : {}), line: text.slice(second + 1) };
}

/** The functions with a log file in `dir`. */
export function loggedFunctions(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((name) => name.endsWith('.log'))
    .map((name) => name.slice(0, -'.log'.length))
    .sort();
}

/** Every kept line of a function, oldest first (the rotated file, then the current one). */
export function readLogRecords(dir: string, functionName: string): LogRecord[] {
  const file = logFileOf(dir, functionName);
  const records: LogRecord[] = [];
  for (const path of [`${file}.1`, file]) {
    if (!existsSync(path)) continue;
    for (const text of readFileSync(path, 'utf8').split('\n')) {
      const record = parseLogRecord(text);
      if (record) records.push(record);
    }
  }
  return records;
}

export interface LogFilter {
  /** Lines written at or after this time (epoch milliseconds). */
  readonly since?: number;
  /** A request id, or its start as the log stream shows it (8 characters). */
  readonly requestId?: string;
  /** Lines at this level or above; lines without a level are left out. */
  readonly level?: LogLevel;
}

export function matchesFilter(record: LogRecord, filter: LogFilter): boolean {
  if (filter.since !== undefined && record.time < filter.since) return false;
  if (filter.requestId !== undefined) {
    const id = record.requestId ?? requestIdIn(record.line);
    if (!id?.startsWith(filter.requestId)) return false;
  }
  if (filter.level !== undefined) {
    const level = levelOf(record.line);
    if (!level || LOG_LEVELS.indexOf(level) < LOG_LEVELS.indexOf(filter.level)) return false;
  }
  return true;
}

/**
 * The level of a line: `level` of a JSON log line (Lambda's JSON format), ERROR for a REPORT line
 * with an error status; undefined for other lines (START, END, a successful REPORT, plain text).
 */
export function levelOf(line: string): LogLevel | undefined {
  if (isPlatformLine(line))
    return line.startsWith('REPORT ') && line.includes('\tStatus: ') ? 'ERROR' : undefined;
  const record = jsonObject(line);
  const level = typeof record?.level === 'string' ? record.level.toUpperCase() : undefined;
  if (level === 'WARNING') return 'WARN';
  return LOG_LEVELS.find((known) => known === level);
}

/** The request id a line names: `RequestId: <id>` of a platform line, or `requestId` of a JSON line. */
export function requestIdIn(line: string): string | undefined {
  const platform = /^(?:START|END|REPORT) RequestId: ([^\s]+)/.exec(line);
  if (platform) return platform[1];
  const record = jsonObject(line);
  if (typeof record?.requestId === 'string') return record.requestId;
  // Lambda's JSON format writes platform events as {"type": "platform.start", "record": {"requestId": …}}.
  const inner = record?.record as Record<string, unknown> | undefined;
  return typeof inner?.requestId === 'string' ? inner.requestId : undefined;
}

/** `warn` → `WARN`; undefined for a name Lambda does not use. */
export function parseLogLevel(text: string): LogLevel | undefined {
  const upper = text.toUpperCase();
  return LOG_LEVELS.find((level) => level === (upper === 'WARNING' ? 'WARN' : upper));
}

/**
 * `--since`: a duration back from `now` (`90s`, `10m`, `2h`, `1d`) or a date and time
 * (`2026-12-06T10:00:00Z`); undefined when it is neither.
 */
export function parseSince(text: string, now: number = Date.now()): number | undefined {
  const duration = /^(\d+(?:\.\d+)?)(ms|s|m|h|d|w)$/.exec(text.trim());
  if (duration) {
    const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 }[
      duration[2] as 'ms' | 's' | 'm' | 'h' | 'd' | 'w'
    ];
    return now - Number(duration[1]) * unit;
  }
  // A bare number is not a date: `--since 10` most likely forgot its unit.
  if (/^\d+$/.test(text.trim())) return undefined;
  const time = Date.parse(text);
  return Number.isNaN(time) ? undefined : time;
}

function jsonObject(line: string): Record<string, unknown> | undefined {
  if (!line.startsWith('{')) return undefined;
  try {
    const value = JSON.parse(line) as unknown;
    return value !== null && typeof value === 'object' && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}
