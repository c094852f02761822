/**
 * Journal and snapshot faults. `code` is stable (tests and the service branch on it); the
 * message carries the file, offset and sequence number for the operator.
 */
export type JournalErrorCode =
  /** A record that fails its checksum or framing and is followed by valid data: not a torn tail. */
  | "CORRUPT_RECORD"
  /** Records out of sequence (a gap or a repeat). */
  | "SEQUENCE_GAP"
  /** No segment holds the records right after the snapshot being restored. */
  | "MISSING_SEGMENT"
  /** A snapshot fails its checksum and no older one can take its place. */
  | "SNAPSHOT_CORRUPT"
  /** An input cannot be encoded (a field out of its EIP-712 range, malformed hex). */
  | "INVALID_RECORD"
  /** A write or fsync failed: what reached the disk is unknown, so the journal stops. */
  | "WRITE_FAILED"
  /** Append after close, or after a write failure. */
  | "CLOSED";

export class JournalError extends Error {
  override readonly name = "JournalError";

  constructor(
    readonly code: JournalErrorCode,
    message: string,
    options: { cause?: unknown } = {},
  ) {
    super(message, { cause: options.cause });
  }
}

/** Where the journal reports recoveries (pino-compatible: `logger.warn(obj, msg)`). */
export interface JournalLogger {
  warn(details: Record<string, unknown>, message: string): void;
  info(details: Record<string, unknown>, message: string): void;
}

/** Default logger: one JSON line per entry on stderr. */
export const stderrLogger: JournalLogger = {
  warn: (details, message) => write("warn", details, message),
  info: (details, message) => write("info", details, message),
};

function write(level: string, details: Record<string, unknown>, msg: string): void {
  process.stderr.write(`${JSON.stringify({ level, msg, ...details })}\n`);
}
