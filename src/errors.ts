/**
 * Typed errors. Library code throws these; the CLI turns them into one-line messages.
 * `UsageError` means the caller asked for something invalid (exit 2); `JointshotError` is any
 * other failure with a message meant for a person (exit 1).
 */
export class JointshotError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** The request itself is invalid (bad flag, impossible episode shape): CLI exit code 2. */
export class UsageError extends JointshotError {}

/** Input data is malformed or inconsistent (bad manifest, corrupt file): CLI exit code 1. */
export class DataError extends JointshotError {}
