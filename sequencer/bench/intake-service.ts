/**
 * Child process of `npm run bench:intake`: runs the real service (`startService`) from the
 * environment the parent prepared, reports its URL over IPC and stops (journal flushed, snapshot
 * taken) when the parent says "stop" or disconnects.
 */
import { loadConfig } from "../src/config/config.js";
import { startService } from "../src/runtime/service-runtime.js";

const service = await startService(loadConfig(process.env), {
  onFatal: (error) => {
    console.error("bench service: journal write failed", error);
    process.exit(1);
  },
});
process.send!({ url: service.url });

let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  if (process.env.BENCH_HEAP_SNAPSHOT_DIR) {
    const { writeHeapSnapshot } = await import("node:v8");
    writeHeapSnapshot(`${process.env.BENCH_HEAP_SNAPSHOT_DIR}/svc-${process.pid}.heapsnapshot`);
  }
  await service.stop().catch((error: unknown) => console.error("bench service: stop", error));
  process.exit(0);
};
process.on("message", (message) => {
  if (message === "stop") void stop();
});
process.on("disconnect", () => void stop());
