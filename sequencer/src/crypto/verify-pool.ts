/**
 * Signer recovery off the main thread: a few `worker_threads` run the native secp256k1 addon
 * on batches of (digest, signature) pairs, so a 100-order batch's recoveries run in parallel
 * with the event loop. The answer is a hint: the intake still applies its own signature checks
 * (EIP-2 low s, ranges) and falls back to `recoverAddress` on the main thread whenever the
 * hint is missing or does not name the trader, and it applies orders in arrival order.
 *
 * The worker is plain CommonJS evaluated from a string (no TypeScript loader needed in the
 * thread); it loads the addon and js-sha3 from the paths resolved here. Without the native
 * addon the pool is not created.
 */
import { createRequire } from "node:module";
import { Worker } from "node:worker_threads";

/** Bytes per request entry: digest (32) ‖ r ‖ s (64) ‖ v (1). */
const ENTRY = 97;
/** Bytes per answer entry: ok (1) ‖ address (20). */
const ANSWER = 21;

const WORKER_SOURCE = `
const { parentPort, workerData } = require("node:worker_threads");
const native = require(workerData.secp256k1);
const { keccak256 } = require(workerData.sha3);
const pub = new Uint8Array(65);
parentPort.on("message", ({ id, data }) => {
  const n = data.length / ${ENTRY};
  const out = new Uint8Array(n * ${ANSWER});
  for (let i = 0; i < n; i++) {
    const at = i * ${ENTRY};
    const v = data[at + 96];
    const recid = v >= 27 ? v - 27 : v;
    if (recid !== 0 && recid !== 1) continue;
    try {
      native.ecdsaRecover(data.subarray(at + 32, at + 96), recid, data.subarray(at, at + 32), false, pub);
      const hash = new Uint8Array(keccak256.arrayBuffer(pub.subarray(1)));
      out[i * ${ANSWER}] = 1;
      out.set(hash.subarray(12), i * ${ANSWER} + 1);
    } catch {}
  }
  parentPort.postMessage({ id, out }, [out.buffer]);
});
`;

/** One order to recover: its 32-byte digest and 65-byte signature (hex). */
export interface RecoverJob {
  readonly digest: Uint8Array;
  readonly signature: string;
}

export class VerifyPool {
  readonly #workers: Worker[];
  readonly #pending = new Map<number, (out: Uint8Array) => void>();
  #nextId = 0;
  /** A worker failed: every later call answers no hints (the caller's own path recovers). */
  #dead = false;

  /** `threads` workers; undefined when the native addon or js-sha3 cannot be resolved. */
  static create(threads: number): VerifyPool | undefined {
    if (threads <= 0) return undefined;
    try {
      const require = createRequire(import.meta.url);
      const paths = {
        secp256k1: require.resolve("secp256k1/bindings.js"),
        sha3: require.resolve("js-sha3"),
      };
      require(paths.secp256k1);
      return new VerifyPool(threads, paths);
    } catch {
      return undefined;
    }
  }

  private constructor(threads: number, workerData: { secp256k1: string; sha3: string }) {
    this.#workers = Array.from({ length: threads }, () => {
      const worker = new Worker(WORKER_SOURCE, { eval: true, workerData });
      worker.on("message", ({ id, out }: { id: number; out: Uint8Array }) => {
        this.#pending.get(id)?.(out);
        this.#pending.delete(id);
      });
      const fail = () => {
        this.#dead = true;
        for (const resolve of this.#pending.values()) resolve(new Uint8Array());
        this.#pending.clear();
      };
      worker.on("error", fail);
      worker.on("exit", fail);
      worker.unref();
      return worker;
    });
  }

  /**
   * The lower-case hex address each signature recovers to, or undefined (malformed, not
   * recoverable: the caller's own path decides and reports).
   */
  async recover(jobs: readonly RecoverJob[]): Promise<(string | undefined)[]> {
    if (this.#dead) return [];
    const chunk = Math.ceil(jobs.length / this.#workers.length);
    const parts: Promise<Uint8Array>[] = [];
    for (let w = 0, start = 0; start < jobs.length; w++, start += chunk) {
      const slice = jobs.slice(start, start + chunk);
      const data = new Uint8Array(slice.length * ENTRY);
      slice.forEach((job, i) => {
        data.set(job.digest, i * ENTRY);
        const sig = job.signature;
        if (sig.length === 132) data.set(Buffer.from(sig.slice(2), "hex"), i * ENTRY + 32);
        else data[i * ENTRY + 96] = 0xff; // refused by the worker: the caller's path reports it
      });
      const id = this.#nextId++;
      parts.push(new Promise((resolve) => this.#pending.set(id, resolve)));
      this.#workers[w]!.postMessage({ id, data }, [data.buffer]);
    }
    const answers: (string | undefined)[] = [];
    for (const out of await Promise.all(parts)) {
      for (let i = 0; i < out.length; i += ANSWER) {
        answers.push(
          out[i] === 1
            ? `0x${Buffer.from(out.subarray(i + 1, i + ANSWER)).toString("hex")}`
            : undefined,
        );
      }
    }
    return answers;
  }

  async close(): Promise<void> {
    this.#dead = true;
    await Promise.all(this.#workers.map((w) => w.terminate()));
  }
}
