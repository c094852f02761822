import type { Worker } from "node:worker_threads";

/** The message `closeWorker` posts: a worker closes its port on it (`parentPort.close()`). */
export const CLOSE_WORKER = "close";

/**
 * Stop `worker` by asking it to exit: post CLOSE_WORKER (on which the worker closes its port, so
 * its thread ends once the message it is working on is done) and wait for its exit; terminate it
 * only if it has not exited within `graceMs`.
 *
 * Why not `Worker#terminate` at once: terminating a thread while it is inside a native addon's
 * call makes Node-API calls fail, and an addon built on node-addon-api (the Keccak addon the
 * signature workers and the core use) then aborts the whole process from its error path
 * (`FATAL ERROR: Error::Error napi_create_reference`). Reproduced by closing the signature pool
 * with jobs in flight; `verify-pool.test.ts` closes pools under load.
 */
export async function closeWorker(worker: Worker, graceMs: number): Promise<void> {
  const exited = new Promise<void>((resolve) => {
    if (worker.threadId === -1) resolve();
    else worker.once("exit", () => resolve());
  });
  worker.postMessage(CLOSE_WORKER);
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<"late">((resolve) => (timer = setTimeout(resolve, graceMs, "late")));
  try {
    if ((await Promise.race([exited, late])) === "late") await worker.terminate();
  } finally {
    clearTimeout(timer);
  }
  await exited;
}
