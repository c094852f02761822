/**
 * Load generator of `npm run bench:intake`, a separate process so it never shares the service's
 * event loop. Reads pre-signed order bodies (JSON lines) and posts a slice of them over keep-alive
 * HTTP/1.1 on loopback, then reports over IPC and exits.
 *
 * It shares the machine's two cores with the service, so it is kept light: requests are written
 * as bytes straight from the file onto plain TCP sockets (one request in flight per connection,
 * no pipelining) and answers are read by their Content-Length, without `node:http`'s client, its
 * per-request objects or strings. (That client cost about a quarter of a core at 2,500 requests/s,
 * taken from the service it measures.)
 *
 * - `closed`: `concurrency` requests in flight until the slice or `maxSeconds` runs out:
 *   the maximum accepted rate.
 * - `open`: requests start on a fixed schedule (`rate` per second) whatever the answers, and
 *   each latency counts from its scheduled start (no coordinated omission).
 */
import { readFileSync } from "node:fs";
import { connect, type Socket } from "node:net";

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
  p999: number;
  max: number;
}

const CREATED = Buffer.from('"status":201');
const CODE = /"code":"([A-Z_]+)"/g;
const HEADER_END = Buffer.from("\r\n\r\n");
const NEWLINE = 10;
const COMMA = 44;

/** One answer: status and body. */
type Answer = { status: number; body: Buffer } | { error: string };

/**
 * A keep-alive HTTP/1.1 connection with at most one request in flight. Answers must carry a
 * Content-Length (Express's do); anything else fails the request and closes the connection.
 */
class Connection {
  readonly #socket: Socket;
  #buffer: Buffer = Buffer.alloc(0);
  #done: ((answer: Answer) => void) | undefined;
  #closed = false;
  readonly ready: Promise<void>;

  constructor(host: string, port: number) {
    this.#socket = connect({ host, port, noDelay: true });
    this.ready = new Promise((resolve, reject) => {
      this.#socket.once("connect", resolve);
      this.#socket.once("error", reject);
    });
    this.#socket.on("data", (chunk: Buffer) => this.#read(chunk));
    this.#socket.on("error", () => this.#fail("NET_ERROR"));
    this.#socket.on("close", () => this.#fail("NET_CLOSED"));
  }

  get usable(): boolean {
    return !this.#closed;
  }

  send(request: Buffer): Promise<Answer> {
    return new Promise((resolve) => {
      this.#done = resolve;
      this.#socket.write(request);
    });
  }

  close(): void {
    this.#closed = true;
    this.#socket.destroy();
  }

  #read(chunk: Buffer): void {
    this.#buffer = this.#buffer.length === 0 ? chunk : Buffer.concat([this.#buffer, chunk]);
    const end = this.#buffer.indexOf(HEADER_END);
    if (end < 0) return;
    const head = this.#buffer.toString("latin1", 0, end);
    const length = /\r\ncontent-length: *(\d+)/i.exec(head);
    if (!length) return this.#fail("NET_NO_CONTENT_LENGTH");
    const total = end + 4 + Number(length[1]);
    if (this.#buffer.length < total) return;
    const status = Number(head.slice(9, 12));
    const body = this.#buffer.subarray(end + 4, total);
    this.#buffer = this.#buffer.subarray(total);
    if (/\r\nconnection: *close/i.test(head)) this.close();
    const done = this.#done;
    this.#done = undefined;
    done?.({ status, body });
  }

  #fail(error: string): void {
    this.#closed = true;
    this.#socket.destroy();
    const done = this.#done;
    this.#done = undefined;
    done?.({ error });
  }
}

async function run(job: LoadJob): Promise<LoadResult> {
  // The bodies stay one Buffer and requests are copied out of it as bytes: half a million order
  // strings on this heap made every full GC of the generator a stall of its own, which an
  // open-loop latency measured from the scheduled send time counts against the service.
  const file = readFileSync(job.file);
  const starts: number[] = [0];
  for (let i = file.indexOf(NEWLINE); i !== -1; i = file.indexOf(NEWLINE, i + 1)) {
    starts.push(i + 1);
  }
  const lineCount = starts.length - 1;
  const target = new URL(job.url);
  const host = target.hostname;
  const port = Number(target.port);
  const per = job.endpoint === "batch" ? job.batchSize : 1;
  const path = job.endpoint === "batch" ? "/v1/orders/batch" : "/v1/orders";
  const end = Math.min(lineCount, job.offset + job.count);
  let next = job.offset;
  let accepted = 0;
  const rejected: Record<string, number> = {};
  const latencies: number[] = [];
  const open: Connection[] = [];
  const idle: Connection[] = [];
  const prefix = Buffer.from('{"orders":[');
  const suffix = Buffer.from("]}");

  /** The next request (head and body) as bytes, or undefined when the slice is used up. */
  const request = (): Buffer | undefined => {
    if (next + per > end) return undefined;
    // Lines next .. next + per - 1, without the last newline; JSON text has no raw newlines.
    const lines = file.subarray(starts[next]!, starts[next + per]! - 1);
    next += per;
    const bodyLength = per === 1 ? lines.length : prefix.length + lines.length + suffix.length;
    const head = Buffer.from(
      `POST ${path} HTTP/1.1\r\nHost: ${target.host}\r\nContent-Type: application/json\r\n` +
        `Content-Length: ${bodyLength}\r\n\r\n`,
      "latin1",
    );
    const out = Buffer.allocUnsafe(head.length + bodyLength);
    let at = head.copy(out, 0);
    if (per === 1) {
      lines.copy(out, at);
      return out;
    }
    at += prefix.copy(out, at);
    const from = at;
    at += lines.copy(out, at);
    for (let i = out.indexOf(NEWLINE, from); i !== -1 && i < at; i = out.indexOf(NEWLINE, i + 1)) {
      out[i] = COMMA;
    }
    suffix.copy(out, at);
    return out;
  };

  const connection = async (): Promise<Connection> => {
    for (let c = idle.pop(); c; c = idle.pop()) if (c.usable) return c;
    const c = new Connection(host, port);
    open.push(c);
    await c.ready;
    return c;
  };

  const count = (answer: Answer): void => {
    if ("error" in answer) {
      rejected[answer.error] = (rejected[answer.error] ?? 0) + per;
      return;
    }
    const { status, body } = answer;
    if (per === 1) {
      if (status === 201) accepted++;
      else countCodes(rejected, body.toString(), status);
      return;
    }
    let created = 0;
    for (let i = body.indexOf(CREATED); i !== -1; i = body.indexOf(CREATED, i + CREATED.length)) {
      created++;
    }
    accepted += created;
    if (status !== 200 || created < per) countCodes(rejected, body.toString(), status);
  };

  const post = async (payload: Buffer, startedAt: number): Promise<void> => {
    let c: Connection;
    try {
      c = await connection();
    } catch {
      rejected["NET_CONNECT"] = (rejected["NET_CONNECT"] ?? 0) + per;
      return;
    }
    const answer = await c.send(payload);
    latencies.push(performance.now() - startedAt);
    if (c.usable) idle.push(c);
    count(answer);
  };

  // Connections a keep-alive client would already hold: opened before the clock starts.
  const warm = await Promise.all(
    Array.from({ length: Math.min(job.concurrency, 32) }, () => connection()),
  );
  idle.push(...warm);

  const start = performance.now();
  const deadline = start + job.maxSeconds * 1000;
  if (job.mode === "closed") {
    const lane = async () => {
      for (;;) {
        if (performance.now() > deadline) return;
        const payload = request();
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
          const payload = now < deadline ? request() : undefined;
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
  for (const c of open) c.close();
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
    p999: at(0.999),
    max: latencies.at(-1) ?? NaN,
  };
}

/** Counts the error codes of an answer's refused orders (or its HTTP status, if it names none). */
function countCodes(into: Record<string, number>, text: string, status: number): void {
  let found = false;
  for (const m of text.matchAll(CODE)) {
    into[m[1]!] = (into[m[1]!] ?? 0) + 1;
    found = true;
  }
  if (!found) into[`HTTP_${status}`] = (into[`HTTP_${status}`] ?? 0) + 1;
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
