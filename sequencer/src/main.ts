/**
 * `npm run start:service`: the sequencer as a process. Configuration from the environment
 * (docs/configuration.md); SIGINT/SIGTERM stop intake, flush the journal, snapshot and close.
 */
import { loadConfig } from "./config/config.js";
import { createLogger } from "./logging/logger.js";
import { startService } from "./runtime/service-runtime.js";

const config = loadConfig();
const logger = createLogger({ level: config.LOG_LEVEL });
process.on("unhandledRejection", (error) => logger.error({ err: error }, "unhandled rejection"));
const service = await startService(config, { logger }).catch((error: unknown) => {
  // A refusal with a remedy (chain-identity.ts): the message and the fix, for the operator.
  const fix = error instanceof Error ? (error as Error & { fix?: unknown }).fix : undefined;
  if (error instanceof Error && typeof fix === "string") {
    logger.fatal({ err: error }, "service: refused to start");
    process.stderr.write(`error: ${error.message}\nfix: ${fix}\n`);
    process.exit(2);
  }
  throw error;
});
let stopping = false;
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, "service: shutting down");
    service.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, "service: shutdown failed");
        process.exit(1);
      },
    );
  });
}
