// `ferrule logs`: a function's log lines, filtered by time, request id and level, printed as the
// local cloud prints them (or as written with --json). Locally from .ferrule/logs/ (written by the
// local cloud and `ferrule invoke`); with --aws from CloudWatch Logs.
import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';
import { relative } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { LogSink } from '@ferrule/local-cloud/log';
import {
  LOG_LEVELS,
  type LogFilter,
  type LogRecord,
  logFileOf,
  loggedFunctions,
  matchesFilter,
  parseLogLevel,
  parseLogRecord,
  parseSince,
  requestIdIn,
} from '@ferrule/local-cloud/log-files';
import { listFunctions, paths, projectRoot } from '@ferrule/toolchain/project';
import type { LogsFlags } from '../commands/logs.ts';
import { CliError } from '../errors.ts';

/** How far back `--tail` and `--aws` start without `--since`. */
const DEFAULT_RECENT_MS = 10 * 60_000;
/** How often a local file is checked for new lines with --tail. */
const FILE_POLL_MS = 250;
/** How often CloudWatch Logs is asked again with --tail --aws (FilterLogEvents allows 5 calls a second per account and Region). */
export const CLOUDWATCH_POLL_MS = 2000;

export async function logsCommand(name: string, flags: LogsFlags): Promise<void> {
  const filter = parseFilter(flags);
  const print = printer(name, flags.json === true);
  const stop = stopSignal();
  try {
    if (flags.aws) {
      const { awsLogs } = await import('./logs-aws.ts');
      await awsLogs(
        name,
        { filter, tail: flags.tail === true, logGroup: flags.logGroup },
        print,
        stop.signal,
      );
    } else {
      if (flags.logGroup) throw new CliError('--log-group goes with --aws');
      await localLogs(name, filter, flags.tail === true, print, stop.signal);
    }
  } finally {
    stop.dispose();
  }
}

export type Print = (record: LogRecord) => void;

/** `--since`, `--request-id`, `--level` as a filter; --tail and --aws start 10 minutes back by default. */
export function parseFilter(flags: LogsFlags, now: number = Date.now()): LogFilter {
  let since: number | undefined;
  if (flags.since !== undefined) {
    since = parseSince(flags.since, now);
    if (since === undefined) {
      throw new CliError(
        `--since takes a duration (90s, 10m, 2h, 1d) or a date and time (2026-12-06T10:00:00Z), not \`${flags.since}\``,
      );
    }
  } else if (flags.tail || flags.aws) {
    since = now - DEFAULT_RECENT_MS;
  }
  let level: LogFilter['level'];
  if (flags.level !== undefined) {
    level = parseLogLevel(flags.level);
    if (!level) {
      throw new CliError(
        `--level takes one of ${LOG_LEVELS.map((l) => l.toLowerCase()).join(', ')}, not \`${flags.level}\``,
      );
    }
  }
  return {
    ...(since !== undefined ? { since } : {}),
    ...(flags.requestId ? { requestId: flags.requestId } : {}),
    ...(level ? { level } : {}),
  };
}

/** The line as written (--json), or prefixed and pretty-printed as the local cloud prints it. */
function printer(name: string, json: boolean): Print {
  if (json) return (record) => process.stdout.write(`${record.line}\n`);
  const sink = new LogSink(
    {
      color: process.stdout.isTTY === true && !process.env.NO_COLOR && process.env.TERM !== 'dumb',
      write: (text) => process.stdout.write(text),
    },
    [name],
  );
  return (record) => sink.show(name, record.requestId ?? requestIdIn(record.line), record.line);
}

/** Resolves on Ctrl-C or SIGTERM: --tail ends there, with exit code 0. */
function stopSignal(): { signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  const stop = () => controller.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  return {
    signal: controller.signal,
    dispose: () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
    },
  };
}

async function localLogs(
  name: string,
  filter: LogFilter,
  tail: boolean,
  print: Print,
  signal: AbortSignal,
): Promise<void> {
  const file = logFileOf(paths.logs, name);
  const where = relative(projectRoot, file);
  if (!existsSync(file) && !existsSync(`${file}.1`)) {
    const crates = (await listFunctions()).map((fn) => fn.name);
    if (!crates.includes(name)) {
      const known = [...new Set([...crates, ...loggedFunctions(paths.logs)])].sort().join(', ') || 'none yet';
      throw new CliError(`unknown function \`${name}\`; the functions are: ${known}`);
    }
    process.stderr.write(
      `==> no lines of ${name} yet (${where}): \`npx ferrule invoke ${name}\` and the local cloud write them${tail ? '; waiting for some' : ''}\n`,
    );
  }
  const reader = new LogFileReader(file);
  let printed = 0;
  const emit = (record: LogRecord) => {
    if (!matchesFilter(record, filter)) return;
    printed += 1;
    print(record);
  };
  reader.readAll(emit);
  if (!tail) {
    if (printed === 0 && existsSync(file)) process.stderr.write(`==> no lines of ${name} match (${where})\n`);
    return;
  }
  while (!signal.aborted) {
    await sleep(FILE_POLL_MS, undefined, { signal }).catch(() => undefined);
    reader.readNew(emit);
  }
}

/**
 * Reads a function's file and what is appended to it later, across rotations: when the file is
 * replaced (renamed to `.1` by a writer), the rest of the old one is read from `.1` first. Only
 * whole lines are taken; a line still being written is read on the next call.
 */
class LogFileReader {
  private inode?: number;
  private position = 0;

  constructor(private readonly file: string) {}

  /** The rotated file, then the current one. */
  readAll(emit: (record: LogRecord) => void): void {
    const rotated = statOrUndefined(`${this.file}.1`);
    if (rotated) wholeLines(readRange(`${this.file}.1`, 0, rotated.size), emit);
    this.readNew(emit);
  }

  /** What was appended since the last read. */
  readNew(emit: (record: LogRecord) => void): void {
    const stat = statOrUndefined(this.file);
    if (this.inode !== undefined && stat?.ino !== this.inode) {
      // Rotated: the old file is now `.1` (or gone); finish it, then start the new one.
      const rotated = statOrUndefined(`${this.file}.1`);
      if (rotated?.ino === this.inode)
        wholeLines(readRange(`${this.file}.1`, this.position, rotated.size), emit);
      this.position = 0;
      this.inode = undefined;
    }
    if (!stat) return;
    if (stat.size < this.position) this.position = 0;
    this.inode = stat.ino;
    if (stat.size > this.position)
      this.position += wholeLines(readRange(this.file, this.position, stat.size), emit);
  }
}

/** Emits the records of the complete lines in `bytes`; returns how many bytes they took. */
function wholeLines(bytes: Buffer, emit: (record: LogRecord) => void): number {
  const end = bytes.lastIndexOf(0x0a) + 1;
  for (const line of bytes.subarray(0, end).toString('utf8').split('\n')) {
    const record = parseLogRecord(line);
    if (record) emit(record);
  }
  return end;
}

function statOrUndefined(file: string): { ino: number; size: number } | undefined {
  try {
    return statSync(file);
  } catch {
    return undefined;
  }
}

function readRange(file: string, start: number, end: number): Buffer {
  if (end <= start) return Buffer.alloc(0);
  const buffer = Buffer.alloc(end - start);
  const fd = openSync(file, 'r');
  try {
    return buffer.subarray(0, readSync(fd, buffer, 0, buffer.length, start));
  } finally {
    closeSync(fd);
  }
}
