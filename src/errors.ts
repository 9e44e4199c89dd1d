/**
 * The error classes remediator raises on purpose. Each carries a stable machine-readable `code`
 * (used in JSON error bodies, log fields and bounded metric labels) and a message for humans that
 * quotes the bad value and says where it came from. None of them ever carries a secret.
 */
export class RemediatorError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** Configuration that cannot be used: a flag, an environment variable or a file it names. */
export class ConfigError extends RemediatorError {
  constructor(message: string) {
    super('invalid_config', message);
  }
}

/** The journal could not durably record something; the caller must not claim it did. */
export class JournalError extends RemediatorError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('journal_unavailable', message);
    if (options?.cause !== undefined) this.cause = options.cause;
  }
}

/**
 * Too much accepted and not yet done (the notification log's backlog): the sender should come
 * back later, which Alertmanager does for a 503. Nothing was recorded.
 */
export class OverloadedError extends RemediatorError {
  constructor(
    message: string,
    /** When to try again, in whole seconds (the `Retry-After` of the answer). */
    readonly retryAfterS: number,
  ) {
    super('overloaded', message);
  }
}

/** The message of anything thrown, without its stack. */
export function describeError(err: unknown): string {
  // Not `instanceof Error`: errors made by native addons (SQLite) may come from another realm.
  if (
    typeof err === 'object' &&
    err !== null &&
    'message' in err &&
    typeof err.message === 'string'
  ) {
    return err.message;
  }
  return String(err);
}
