/**
 * Load generator of `npm run bench:intake`, a separate process so it never shares the service's
 * event loop. Reads pre-signed order bodies (JSON lines) and posts a slice of them over keep-alive
 * HTTP on loopback, then reports over IPC and exits.
 *
 * - `closed`: `concurrency` requests in flight until the slice or `maxSeconds` runs out:
 *   the maximum accepted rate.
 * - `open`: requests start on a fixed schedule (`rate` per second) whatever the answers, and
 *   each latency counts from its scheduled start (no coordinated omission).
 */
import { readFileSync } from "node:fs";
import { Agent, request } from "node:http";

export interface LoadJob {
  url: string;
  file: string;
  offset: number;
  /** Most orders to send. */
  count: number;
  endpoint: "single" | "batch";
  batchSize: number;
  mode: "closed" | "open";
  concurrency: number;
  /** Requests per second (open loop). */
  rate: number;
  maxSeconds: number;
}

export interface LoadResult {
  /** Orders sent (all of them consumed: the next job starts after them). */
  sent: number;
  accepted: number;
  rejected: Record<string, number>;
  elapsedSec: number;
  requests: number;
  /** Acknowledgement latency of requests, ms. */
  p50: number;
  p99: number;
  max: number;
}

const CREATED = /"status":201/g;
const CODE = /"code":"([A-Z_]+)"/g;

async function run(job: LoadJob): Promise<LoadResult> {
  // The bodies stay one Buffer; a request's text is decoded when it is sent. Half a million
  // order strings held on this heap made every full GC of the generator a stall of its own,
  // which an open-loop latency measured from the scheduled send time counts against the service.
  const file = readFileSync(job.file);
  const starts: number[] = [0];
  for (let i = file.indexOf(10); i !== -1; i = file.indexOf(10, i + 1)) starts.push(i + 1);
  const lineCount = starts.length - 1;
  const target = new URL(job.url);
  const agent = new Agent({ keepAlive: true, maxSockets: job.concurrency });
  const per = job.endpoint === "batch" ? job.batchSize : 1;
  const path = job.endpoint === "batch" ? "/v1/orders/batch" : "/v1/orders";
  const end = Math.min(lineCount, job.offset + job.count);
  let next = job.offset;
  let accepted = 0;
  const rejected: Record<string, number> = {};
  const latencies: number[] = [];

  const body = (): string | undefined => {
    if (next + per > end) return undefined;
    // Lines next .. next + per - 1, without the last newline; JSON text has no raw newlines.
    const text = file.toString("utf8", starts[next]!, starts[next + per]! - 1);
    next += per;
    return per === 1 ? text : `{"orders":[${text.replaceAll("\n", ",")}]}`;
  };
  const post = (payload: string, startedAt: number) =>
    new Promise<void>((resolve) => {
      const req = request(
        {
          host: target.hostname,
          port: target.port,
          path,
          method: "POST",
          agent,
          headers: {
            "content-type": "application/json",
            "content-length": Buffer.byteLength(payload),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("end", () => {
            latencies.push(performance.now() - startedAt);
            const text = Buffer.concat(chunks).toString();
            if (per === 1) {
              if (res.statusCode === 201) accepted++;
              else count(rejected, text, res.statusCode);
            } else {
              if (res.statusCode !== 200) count(rejected, text, res.statusCode);
              accepted += text.match(CREATED)?.length ?? 0;
              for (const m of text.matchAll(CODE)) rejected[m[1]!] = (rejected[m[1]!] ?? 0) + 1;
            }
            resolve();
          });
        },
      );
      // A transport failure (the server reset the connection, say) is a refused request, counted
      // under its error code, not the end of the run.
      req.on("error", (error: NodeJS.ErrnoException) => {
        const code = `NET_${error.code ?? "ERROR"}`;
        rejected[code] = (rejected[code] ?? 0) + per;
        resolve();
      });
      req.setNoDelay(true);
      req.end(payload);
    });

  const start = performance.now();
  const deadline = start + job.maxSeconds * 1000;
  if (job.mode === "closed") {
    const lane = async () => {
      for (;;) {
        if (performance.now() > deadline) return;
        const payload = body();
        if (payload === undefined) return;
        await post(payload, performance.now());
      }
    };
    await Promise.all(Array.from({ length: job.concurrency }, lane));
  } else {
    const inflight: Promise<void>[] = [];
    let sentRequests = 0;
    await new Promise<void>((resolve) => {
      const tick = () => {
        const now = performance.now();
        // Request i is due at start + i / rate: send every one whose time has come. (Counting
        // floor(elapsed * rate) requests as due sent each one a whole interval late, and that
        // interval was counted as latency: +34 ms per request at 29 requests/s.)
        while ((sentRequests * 1000) / job.rate <= now - start) {
          const payload = now < deadline ? body() : undefined;
          if (payload === undefined) return resolve();
          // Latency counts from the scheduled start, not from when the timer got to it.
          inflight.push(post(payload, start + (sentRequests / job.rate) * 1000));
          sentRequests++;
        }
        setTimeout(tick, 0);
      };
      tick();
    });
    await Promise.all(inflight);
  }
  const elapsedSec = (performance.now() - start) / 1000;
  agent.destroy();
  latencies.sort((a, b) => a - b);
  const at = (q: number) =>
    latencies[Math.min(latencies.length - 1, Math.ceil(q * latencies.length) - 1)] ?? NaN;
  return {
    sent: next - job.offset,
    accepted,
    rejected,
    elapsedSec,
    requests: latencies.length,
    p50: at(0.5),
    p99: at(0.99),
    max: latencies.at(-1) ?? NaN,
  };
}

function count(into: Record<string, number>, text: string, status: number | undefined): void {
  const code = /"code":"([A-Z_]+)"/.exec(text)?.[1] ?? `HTTP_${status}`;
  into[code] = (into[code] ?? 0) + 1;
}

process.once("message", (job: LoadJob) => {
  run(job).then(
    (result) => process.send!(result, () => process.exit(0)),
    (error: unknown) => {
      console.error("bench load:", error);
      process.exit(1);
    },
  );
});
