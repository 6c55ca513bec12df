// What an untouched skeleton throws. The checker recognises it and says "not implemented yet"
// instead of printing a stack trace; the tools name the step to finish.
export class NotImplementedError extends Error {
  override name = "NotImplementedError";
  constructor(
    /** The step whose code is missing, e.g. "03". */
    readonly step: string,
    what: string,
  ) {
    super(`step ${step} not implemented yet: ${what}`);
  }
}

/** `throw notImplemented("03", "LayerNorm.forward: normalise over the last axis")` */
export function notImplemented(step: string, what: string): NotImplementedError {
  return new NotImplementedError(step, what);
}

export function isNotImplemented(error: unknown): error is NotImplementedError {
  return error instanceof Error && error.name === "NotImplementedError";
}
