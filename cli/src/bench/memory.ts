// Memory of a long-lived process: RSS after a warm-up and after many more warm invocations,
// once with a new X-Ray trace id per invocation (as on Lambda) and once with one trace id, so
// the difference shows what the trace id costs (docs/hardening.md explains why it grows).
import { type LocalFunction, newTraceHeader } from '@ferrule/emulator';
import { CliError } from '../errors.ts';
import { localFunction, type MeasuredSubject } from './measure.ts';

/** Invocations before the first reading: allocator pools and lazy state settle first. */
export const MEMORY_WARMUP = 1_000;

/** Subjects measured: the plain HTTP function and the reference API without an AWS call. */
export const MEMORY_SUBJECTS = ['hello-http', 'orders-api-no-call'] as const;

export interface GrowthFigures {
  /** VmRSS after the warm-up, KiB. */
  readonly startKb: number;
  /** VmRSS after the measured invocations, KiB. */
  readonly endKb: number;
  readonly growthKb: number;
  /** Growth per measured invocation, bytes. */
  readonly bytesPerInvocation: number;
}

export interface MemoryFigures {
  /** Invocations measured after the warm-up with a new trace id each. */
  readonly invocations: number;
  /** Invocations measured with one trace id (the control: fewer suffice for a per-invocation figure). */
  readonly controlInvocations: number;
  /** A new trace id per invocation, as Lambda sends them. */
  readonly distinctTraceIds: GrowthFigures;
  /** The same trace id every time: what the process grows by without the trace id. */
  readonly oneTraceId: GrowthFigures;
}

/** VmRSS of the function's process in KiB (Linux). */
function rssKb(local: LocalFunction): number {
  const kb = local.residentKb();
  if (kb === undefined) throw new CliError('no running process to read memory from (/proc/<pid>/status)', 1);
  return kb;
}

async function growth(
  measured: MeasuredSubject,
  invocations: number,
  passthrough: Readonly<Record<string, string>>,
  traceHeader: () => string,
): Promise<GrowthFigures> {
  const { subject } = measured;
  const local = localFunction(measured, passthrough);
  try {
    let invoked = 0;
    const invoke = async () => {
      const report = await local.invoke(subject.event, { traceHeader: traceHeader() });
      if (report.outcome.kind === 'error') {
        throw new CliError(
          `${subject.name} failed with ${subject.eventLabel}: ${report.outcome.errorType}: ${report.outcome.errorMessage}`,
          1,
        );
      }
      // Only the first invocation may start a process: a second would reset the figure.
      if (report.coldStart && invoked > 0) {
        throw new CliError(`${subject.name} was restarted during the memory run`, 1);
      }
      invoked++;
    };
    for (let i = 0; i < MEMORY_WARMUP; i++) await invoke();
    const startKb = rssKb(local);
    for (let i = 0; i < invocations; i++) await invoke();
    const endKb = rssKb(local);
    return {
      startKb,
      endKb,
      growthKb: endKb - startKb,
      bytesPerInvocation: ((endKb - startKb) * 1024) / invocations,
    };
  } finally {
    await local.stop();
  }
}

/** Both modes for one subject, each in a process of its own; the control runs a fifth as many. */
export async function measureMemory(
  measured: MeasuredSubject,
  invocations: number,
  passthrough: Readonly<Record<string, string>>,
): Promise<MemoryFigures> {
  const fixed = newTraceHeader();
  const controlInvocations = Math.max(1, Math.round(invocations / 5));
  return {
    invocations,
    controlInvocations,
    distinctTraceIds: await growth(measured, invocations, passthrough, () => newTraceHeader()),
    oneTraceId: await growth(measured, controlInvocations, passthrough, () => fixed),
  };
}
