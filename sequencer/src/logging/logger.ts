/**
 * Structured JSON logs (pino). Secrets are redacted by path wherever they could appear:
 * the admin bearer token in request headers and the config's secret variables.
 */
import { pino, type DestinationStream, type Level, type Logger } from "pino";

export type { Logger } from "pino";

export interface LoggerOptions {
  /** Minimum level. Default: `"info"` (config LOG_LEVEL). */
  readonly level?: Level | "silent";
  /** `name` field of every line. Default: `"clearmatch-sequencer"`. */
  readonly name?: string;
  /** Where lines go. Default: standard output. */
  readonly destination?: DestinationStream;
}

/** Paths whose values are replaced by `[redacted]`. */
export const REDACTED_PATHS = [
  "authorization",
  "headers.authorization",
  "req.headers.authorization",
  "adminToken",
  "ADMIN_TOKEN",
  "*.ADMIN_TOKEN",
  "privateKey",
  "SEQUENCER_PRIVATE_KEY",
  "*.SEQUENCER_PRIVATE_KEY",
];

export function createLogger(options: LoggerOptions = {}): Logger {
  const settings = {
    level: options.level ?? "info",
    name: options.name ?? "clearmatch-sequencer",
    redact: { paths: REDACTED_PATHS, censor: "[redacted]" },
    serializers: { err: pino.stdSerializers.err },
  };
  return options.destination ? pino(settings, options.destination) : pino(settings);
}
