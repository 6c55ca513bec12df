// What an untouched skeleton throws. The checker recognises it and says "not implemented yet"
// instead of printing a stack trace.
class NotImplementedError extends Error {
  override name = "NotImplementedError";
}

/** `throw notImplemented("03", "LayerNorm.forward: normalise over the last axis")` */
export function notImplemented(step: string, what: string): NotImplementedError {
  return new NotImplementedError(`step ${step} not implemented yet: ${what}`);
}

export function isNotImplemented(error: unknown): boolean {
  return error instanceof Error && error.name === "NotImplementedError";
}
