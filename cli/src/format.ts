import { createRequire } from 'node:module';
import type CliTable3 from 'cli-table3';

export interface TableOptions {
  /**
   * The widest a line may be; wider cells wrap inside their column.
   * @default outputWidth(): COLUMNS, else the terminal's width, else no limit
   */
  readonly maxWidth?: number;
}

const GAP = '  ';
/** A column is never shrunk below this (or its natural width when that is smaller): words stay readable. */
const MIN_COLUMN_WIDTH = 8;

/**
 * The width output to `stream` should fit: `COLUMNS` when set, else the terminal's width; no
 * limit for a pipe or a file, so `ferrule list > functions.txt` keeps every character.
 */
export function outputWidth(stream: NodeJS.WriteStream = process.stdout): number {
  const fromEnvironment = Number.parseInt(process.env.COLUMNS ?? '', 10);
  if (fromEnvironment > 0) return fromEnvironment;
  if (stream.isTTY === true && stream.columns > 0) return stream.columns;
  return Number.POSITIVE_INFINITY;
}

/**
 * Renders rows as an aligned plain-text table (no colours: it is read in CI logs too). Wider
 * than `maxWidth`, the narrow columns keep their width, the wide ones share what is left, and
 * their cells wrap at spaces; a word longer than its column ends in `…` (`--json`, a pipe or a
 * file have it whole).
 */
export function table(
  headers: readonly string[],
  rows: readonly (readonly string[])[],
  options: TableOptions = {},
): string {
  const natural = headers.map((header, i) =>
    Math.max(width(header), ...rows.map((row) => width(row[i] ?? ''))),
  );
  const available = (options.maxWidth ?? outputWidth()) - GAP.length * (headers.length - 1);
  const dashes = natural.map((w) => '-'.repeat(w));
  if (natural.reduce((sum, w) => sum + w, 0) <= available) {
    const line = (cells: readonly string[]) =>
      headers
        .map((_, i) => {
          const cell = cells[i] ?? '';
          return cell + ' '.repeat(Math.max(0, (natural[i] ?? 0) - width(cell)));
        })
        .join(GAP)
        .trimEnd();
    return [line(headers), line(dashes), ...rows.map(line)].join('\n');
  }
  const widths = fitColumns(natural, available);
  const fitted = new (tableLibrary())({
    head: [...headers],
    colWidths: widths,
    wordWrap: true,
    chars: PLAIN,
    style: { head: [], border: [], 'padding-left': 0, 'padding-right': 0 },
  });
  fitted.push(
    widths.map((w) => '-'.repeat(w)),
    ...rows.map((row) => headers.map((_, i) => row[i] ?? '')),
  );
  return fitted
    .toString()
    .split('\n')
    .map((line) => line.trimEnd())
    .join('\n');
}

/** No borders: columns apart by two spaces, as the tables that fit are. */
const PLAIN: Partial<Record<CliTable3.CharName, string>> = Object.fromEntries(
  [
    'top',
    'top-mid',
    'top-left',
    'top-right',
    'bottom',
    'bottom-mid',
    'bottom-left',
    'bottom-right',
    'left',
    'left-mid',
    'mid',
    'mid-mid',
    'right',
    'right-mid',
  ].map((name) => [name, '']),
);
PLAIN.middle = GAP;

/**
 * cli-table3 wraps and truncates cells by their width on screen. It is CommonJS, required on
 * the first table that needs fitting: a table that fits (a pipe, a file, a wide terminal) does
 * not load it, which keeps `ferrule list --no-synth` within its start-up budget.
 */
function tableLibrary(): typeof CliTable3 {
  return createRequire(import.meta.url)('cli-table3') as typeof CliTable3;
}

/** Characters on screen: code points, so `×`, `–` and `…` count one (tables hold no colours). */
function width(text: string): number {
  return [...text].length;
}

/**
 * Column widths within `available` characters: going from the narrowest column up, each gets
 * its natural width or an even share of what is left, whichever is smaller, so the widest
 * columns give way first.
 */
function fitColumns(natural: readonly number[], available: number): number[] {
  const widths = [...natural];
  const narrowestFirst = natural.map((_, i) => i).sort((a, b) => (natural[a] ?? 0) - (natural[b] ?? 0));
  let left = available;
  let columnsLeft = natural.length;
  for (const i of narrowestFirst) {
    const want = natural[i] ?? 0;
    const share = Math.floor(Math.max(0, left) / columnsLeft);
    widths[i] = Math.max(Math.min(want, share), Math.min(want, MIN_COLUMN_WIDTH));
    left -= widths[i] ?? 0;
    columnsLeft -= 1;
  }
  return widths;
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(2)} MB`;
}

export function formatMs(ms: number | undefined): string {
  return ms === undefined ? '-' : `${ms.toFixed(2)} ms`;
}

/** An elapsed time as people read it: `12.3 s`, or `2 min 05 s` from a minute on. */
export function formatElapsed(ms: number): string {
  const seconds = ms / 1000;
  if (seconds < 60) return `${seconds.toFixed(1)} s`;
  const whole = Math.round(seconds);
  return `${Math.floor(whole / 60)} min ${String(whole % 60).padStart(2, '0')} s`;
}
