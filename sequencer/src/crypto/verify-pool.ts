/**
 * Order digests and signer recovery off the main thread: a few `worker_threads` hash each order's
 * EIP-712 struct encoding into its digest and run the native secp256k1 addon on it, so that work
 * (about 100 us an order on this machine) runs beside the event loop, not on it.
 *
 * Jobs queue up and go to whichever worker is idle, as many per message as are waiting: a lone
 * order goes out at once, and orders arriving while the workers are busy share the next message
 * (no timer, so no added wait). A big batch is split across the idle workers.
 *
 * The answer is a hint: the intake still applies its own signature checks (EIP-2 low s, ranges)
 * and falls back to `recoverAddress` on the main thread whenever the signer is missing or does
 * not name the trader, and it applies orders in arrival order. The digest is the order's id; the
 * tests prove the workers' digests equal `OrderHasher.orderDigest`.
 *
 * The worker is plain CommonJS evaluated from a string (no TypeScript loader needed in the
 * thread); it loads the addons from the paths resolved here. Without the native secp256k1 addon
 * the pool is not created.
 */
import { createRequire } from "node:module";
import { dirname } from "node:path";
import { Worker } from "node:worker_threads";
import { bytesToHex, hexInto } from "@clearmatch/protocol";
import { CLOSE_WORKER, closeWorker } from "../threads/close-worker.js";

/** Bytes of an order's EIP-712 struct encoding: the type hash and nine field words. */
const ORDER_STRUCT_BYTES = 320;
/** Bytes per request entry: struct encoding (320) ‖ r ‖ s (64) ‖ v (1). */
const ENTRY = ORDER_STRUCT_BYTES + 65;
/** Request header: the domain separator. */
const HEADER = 32;
/** Bytes per answer entry: signer ok (1) ‖ digest (32) ‖ address (20). */
const ANSWER = 53;

const WORKER_SOURCE = `
const { parentPort, workerData } = require("node:worker_threads");
const secp = require(workerData.secp256k1);
let keccak256;
try {
  const Native = require(workerData.nodeGypBuild)(workerData.keccakDir);
  const state = new Native();
  keccak256 = (data) => {
    state.initialize(1088, 512);
    state.absorb(Buffer.from(data.buffer, data.byteOffset, data.byteLength));
    state.absorbLastFewBits(0x01);
    return state.squeeze(32);
  };
} catch {
  const { keccak256: sha3 } = require(workerData.sha3);
  keccak256 = (data) => new Uint8Array(sha3.arrayBuffer(data));
}
const pub = new Uint8Array(65);
const prefixed = new Uint8Array(66);
prefixed[0] = 0x19;
prefixed[1] = 0x01;
parentPort.on("message", (message) => {
  if (message === ${JSON.stringify(CLOSE_WORKER)}) return parentPort.close();
  const { id, data } = message;
  const n = (data.length - ${HEADER}) / ${ENTRY};
  const out = new Uint8Array(n * ${ANSWER});
  prefixed.set(data.subarray(0, 32), 2);
  for (let i = 0; i < n; i++) {
    const at = ${HEADER} + i * ${ENTRY};
    const answer = i * ${ANSWER};
    prefixed.set(keccak256(data.subarray(at, at + ${ORDER_STRUCT_BYTES})), 34);
    const digest = keccak256(prefixed);
    out.set(digest, answer + 1);
    const sig = at + ${ORDER_STRUCT_BYTES};
    const v = data[sig + 64];
    if (v !== 27 && v !== 28) continue; // the contract's rule (recover.ts refuses it anyway)
    const recid = v - 27;
    try {
      secp.ecdsaRecover(data.subarray(sig, sig + 64), recid, digest, false, pub);
      out[answer] = 1;
      out.set(keccak256(pub.subarray(1)).subarray(12), answer + 33);
    } catch {}
  }
  parentPort.postMessage({ id, out }, [out.buffer]);
});
`;

/** One order: its struct encoding (`OrderHasher.encodeOrder`) and 65-byte signature (hex). */
export interface RecoverJob {
  readonly struct: Uint8Array;
  readonly signature: string;
}

/** A job's answer: the order's digest and the lower-case signer, when recoverable. */
export interface Recovered {
  readonly digest?: Uint8Array;
  readonly signer?: string | undefined;
}

interface Queued {
  readonly job: RecoverJob;
  readonly resolve: (answer: Recovered) => void;
}

const NO_HINT: Recovered = {};

/**
 * Jobs that may wait for a busy worker, about 3 ms of its work. Beyond it, `recover` answers new
 * jobs with no hint at once, so the caller hashes and recovers them itself: when the workers fall
 * behind (starved of CPU while a full garbage collection marks, say), the main thread takes a
 * share of the work instead of every order queueing behind them.
 */
export const DEFAULT_MAX_QUEUED = 32;

export class VerifyPool {
  readonly #workers: Worker[];
  readonly #idle: Worker[];
  readonly #queue: Queued[] = [];
  readonly #inFlight = new Map<number, Queued[]>();
  readonly #domainSeparator: Uint8Array;
  readonly #maxQueued: number;
  #nextId = 0;
  #shed = 0;
  /** Messages posted to workers so far (jobs waiting together share one). */
  get messagesSent(): number {
    return this.#nextId;
  }
  /** Jobs answered with no hint because too many were waiting (see DEFAULT_MAX_QUEUED). */
  get jobsShed(): number {
    return this.#shed;
  }
  /** A worker failed: every job answers no hint (the caller's own path recovers). */
  #dead = false;

  /**
   * `threads` workers hashing under `domainSeparator` (32 bytes); undefined when `threads` is 0
   * or the native secp256k1 addon or js-sha3 cannot be resolved.
   */
  static create(
    threads: number,
    domainSeparator: Uint8Array,
    maxQueued = DEFAULT_MAX_QUEUED,
  ): VerifyPool | undefined {
    if (threads <= 0) return undefined;
    if (domainSeparator.length !== 32) throw new RangeError("domain separator must be 32 bytes");
    try {
      const require = createRequire(import.meta.url);
      const paths = {
        secp256k1: require.resolve("secp256k1/bindings.js"),
        sha3: require.resolve("js-sha3"),
        nodeGypBuild: require.resolve("node-gyp-build"),
        keccakDir: dirname(require.resolve("keccak/package.json")),
      };
      require(paths.secp256k1);
      return new VerifyPool(threads, paths, domainSeparator, maxQueued);
    } catch {
      return undefined;
    }
  }

  private constructor(
    threads: number,
    workerData: Record<string, string>,
    domainSeparator: Uint8Array,
    maxQueued: number,
  ) {
    this.#domainSeparator = Uint8Array.from(domainSeparator);
    this.#maxQueued = maxQueued;
    this.#workers = Array.from({ length: threads }, () => {
      const worker = new Worker(WORKER_SOURCE, { eval: true, workerData });
      worker.on("message", ({ id, out }: { id: number; out: Uint8Array }) => {
        const jobs = this.#inFlight.get(id);
        this.#inFlight.delete(id);
        jobs?.forEach((q, i) => q.resolve(answerAt(out, i)));
        if (!this.#dead) this.#idle.push(worker);
        this.#pump();
      });
      const fail = () => {
        if (this.#dead) return;
        this.#dead = true;
        for (const jobs of this.#inFlight.values()) for (const q of jobs) q.resolve(NO_HINT);
        this.#inFlight.clear();
        for (const q of this.#queue.splice(0)) q.resolve(NO_HINT);
      };
      worker.on("error", fail);
      worker.on("exit", fail);
      worker.unref();
      return worker;
    });
    this.#idle = [...this.#workers];
  }

  /**
   * Digests and signers of `jobs`, in order (see `Recovered`). Jobs that would wait behind more
   * than the pool's `maxQueued` others get no hint, at once.
   */
  recover(jobs: readonly RecoverJob[]): Promise<Recovered[]> {
    if (this.#dead) return Promise.resolve(jobs.map(() => NO_HINT));
    const answers = jobs.map((job) => {
      if (this.#idle.length === 0 && this.#queue.length >= this.#maxQueued) {
        this.#shed++;
        return NO_HINT;
      }
      return new Promise<Recovered>((resolve) => this.#queue.push({ job, resolve }));
    });
    this.#pump();
    return Promise.all(answers);
  }

  /** Sends waiting jobs to idle workers, split evenly among them. */
  #pump(): void {
    while (this.#idle.length > 0 && this.#queue.length > 0) {
      const take = Math.ceil(this.#queue.length / this.#idle.length);
      const jobs = this.#queue.splice(0, take);
      const data = new Uint8Array(HEADER + jobs.length * ENTRY);
      data.set(this.#domainSeparator, 0);
      jobs.forEach(({ job }, i) => {
        const at = HEADER + i * ENTRY;
        data.set(job.struct, at);
        // A malformed signature gets v = 0xff: the worker answers its digest and no signer.
        if (!hexInto(job.signature, 65, data, at + ORDER_STRUCT_BYTES)) data[at + ENTRY - 1] = 0xff;
      });
      const id = this.#nextId++;
      this.#inFlight.set(id, jobs);
      this.#idle.pop()!.postMessage({ id, data }, [data.buffer]);
    }
  }

  /**
   * Stop the workers, each after the message it is working on (`closeWorker`: terminating one in
   * the middle of a Keccak call can abort the process). Jobs still waiting answer no hint.
   */
  async close(graceMs = 5_000): Promise<void> {
    this.#dead = true;
    for (const q of this.#queue.splice(0)) q.resolve(NO_HINT);
    await Promise.all(this.#workers.map((w) => closeWorker(w, graceMs)));
  }
}

function answerAt(out: Uint8Array, i: number): Recovered {
  const at = i * ANSWER;
  if (out.length < at + ANSWER) return NO_HINT;
  const digest = out.slice(at + 1, at + 33);
  if (out[at] !== 1) return { digest };
  return { digest, signer: bytesToHex(out, at + 33, at + ANSWER) };
}
