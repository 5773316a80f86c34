// Progress of the long steps (build, synth, check, start) on stderr, so stdout stays the result.
// On a terminal: a spinner with the elapsed seconds that ends as `✔ step (12.3 s)` or
// `✖ step (12.3 s)`. In CI, in a pipe or a file: plain lines, `==> step` then `    done in 12.3 s`.
import { performance } from 'node:perf_hooks';
import type { Writable } from 'node:stream';
import yoctoSpinner, { type Spinner } from 'yocto-spinner';
import { formatElapsed } from './format.ts';
import { painter } from './style.ts';

export interface ProgressOptions {
  /** @default process.stderr */
  readonly stream?: Writable & { isTTY?: boolean; columns?: number };
  /** Spinner (true) or plain lines (false). @default a terminal outside CI whose TERM is not `dumb` */
  readonly interactive?: boolean;
  /** Milliseconds of a monotonic clock. @default performance.now */
  readonly now?: () => number;
}

/** One step under way: end it exactly once. */
export interface ProgressStep {
  /** Shown after the title while the step runs (the line the tool printed last); plain mode ignores it. */
  update(detail: string): void;
  succeed(): void;
  fail(): void;
}

/** Steps not yet ended, so an error that escapes a command can stop their spinners (see endSteps). */
const running = new Set<ProgressStep>();

/** Whether progress on `stream` animates: the test yocto-spinner applies too, so both agree. */
export function isInteractive(stream: { isTTY?: boolean } = process.stderr): boolean {
  return stream.isTTY === true && !('CI' in process.env) && process.env.TERM !== 'dumb';
}

export class Progress {
  readonly interactive: boolean;
  private readonly stream: NonNullable<ProgressOptions['stream']>;
  private readonly now: () => number;

  constructor(options: ProgressOptions = {}) {
    this.stream = options.stream ?? process.stderr;
    this.interactive = options.interactive ?? isInteractive(this.stream);
    this.now = options.now ?? (() => performance.now());
  }

  /** Starts a step; the caller ends it with succeed() or fail(). */
  start(title: string): ProgressStep {
    const step = this.interactive ? this.spinnerStep(title) : this.plainStep(title);
    running.add(step);
    return step;
  }

  /** Runs `work` as one step: it succeeds when the promise resolves and fails when it rejects. */
  async run<T>(title: string, work: (step: ProgressStep) => Promise<T>): Promise<T> {
    const step = this.start(title);
    try {
      const result = await work(step);
      step.succeed();
      return result;
    } catch (error) {
      step.fail();
      throw error;
    }
  }

  /** A step that needs no work (it was skipped, or is already done): one line. */
  note(text: string): void {
    const paint = painter(this.stream as NodeJS.WriteStream);
    this.stream.write(this.interactive ? `${paint('cyan', 'ℹ')} ${text}\n` : `==> ${text}\n`);
  }

  private plainStep(title: string): ProgressStep {
    const started = this.now();
    this.stream.write(`==> ${title}\n`);
    const end = (outcome: string) => {
      if (!running.delete(step)) return;
      this.stream.write(`    ${outcome} ${formatElapsed(this.now() - started)}\n`);
    };
    const step: ProgressStep = {
      update: () => {},
      succeed: () => end('done in'),
      fail: () => end('failed after'),
    };
    return step;
  }

  private spinnerStep(title: string): ProgressStep {
    const started = this.now();
    let detail = '';
    const text = () => {
      const line = `${title} (${Math.floor((this.now() - started) / 1000)} s)${detail ? ` · ${detail}` : ''}`;
      // One line: a wrapped spinner line leaves copies of itself behind as it redraws.
      const width = (this.stream.columns ?? 80) - 3;
      return line.length > width ? `${line.slice(0, Math.max(0, width - 1))}…` : line;
    };
    const spinner: Spinner = yoctoSpinner({ text: text(), stream: this.stream }).start();
    const clock = setInterval(() => {
      spinner.text = text();
    }, 1000);
    const end = (symbol: 'success' | 'error') => {
      if (!running.delete(step)) return;
      clearInterval(clock);
      spinner[symbol](`${title} (${formatElapsed(this.now() - started)})`);
    };
    const step: ProgressStep = {
      update: (line) => {
        detail = line.trim();
        spinner.text = text();
      },
      succeed: () => end('success'),
      fail: () => end('error'),
    };
    return step;
  }
}

/** Fails every step still running: an error is about to be printed and the spinners must stop. */
export function endSteps(): void {
  for (const step of [...running]) step.fail();
}
