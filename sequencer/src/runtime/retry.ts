import type { Logger } from "../logging/logger.js";

/** Retries `fn` with a 500 ms pause until it succeeds (start-up dependencies). */
export async function retry<T>(logger: Logger, what: string, fn: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (error) {
      if (attempt % 10 === 1)
        logger.warn({ err: error, attempt }, `service: ${what} failed, retrying`);
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}
