/** What the emulator itself could not do (as opposed to what the function did wrong). */
export type EmulatorErrorCode = 'Stopped' | 'Busy' | 'InvalidSettings';

export class EmulatorError extends Error {
  constructor(
    message: string,
    readonly code: EmulatorErrorCode,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'EmulatorError';
  }
}
