import { mkdir, open, readFile, readdir, rename } from "node:fs/promises";
import { join } from "node:path";
import type { Hex } from "viem";
import type { Delta } from "../eip712/types.js";

/** Off-chain life of a batch; a fill's state follows its batch's. */
export type BatchState = "BATCHED" | "COMMITTED" | "FINALIZED" | "ROLLED_BACK";

/** Everything the pipeline needs to commit and finalize a batch, and to serve fill proofs. */
export interface BatchRecord {
  batchId: bigint;
  fillsRoot: Hex;
  fillCount: number;
  deltas: Delta[];
  /** Opaque fill payloads (leaf values, proofs) kept for the API; the pipeline does not read them. */
  fills: unknown[];
  state: BatchState;
  /** Set once committed: chain time after which finalization is allowed. */
  finalizableAt?: bigint;
  commitTx?: Hex;
  finalizeTx?: Hex;
  /** Wall-clock milliseconds of each transition, for latency metrics. */
  cutAtMs: number;
  committedAtMs?: number;
  settledAtMs?: number;
}

/** Durable storage of batch records: the pipeline's memory across crashes and Redis restarts. */
export interface BatchStore {
  get(batchId: bigint): Promise<BatchRecord | undefined>;
  put(record: BatchRecord): Promise<void>;
  list(): Promise<BatchRecord[]>;
}

const replacer = (_: string, v: unknown) => (typeof v === "bigint" ? { $bigint: v.toString() } : v);
const reviver = (_: string, v: unknown) =>
  v !== null && typeof v === "object" && "$bigint" in v
    ? BigInt((v as { $bigint: string }).$bigint)
    : v;

export const encodeRecord = (r: BatchRecord) => JSON.stringify(r, replacer);
export const decodeRecord = (s: string) => JSON.parse(s, reviver) as BatchRecord;

/**
 * One JSON file per batch under `dir`, each replaced atomically (temp file, fsync, rename, fsync of
 * the directory), so a crash leaves either the old or the new record, never a torn one.
 */
export class FileBatchStore implements BatchStore {
  #ready: Promise<unknown>;
  constructor(private readonly dir: string) {
    this.#ready = mkdir(dir, { recursive: true });
  }

  #path(batchId: bigint) {
    return join(this.dir, `${batchId.toString().padStart(12, "0")}.json`);
  }

  async get(batchId: bigint): Promise<BatchRecord | undefined> {
    await this.#ready;
    try {
      return decodeRecord(await readFile(this.#path(batchId), "utf8"));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw error;
    }
  }

  async put(record: BatchRecord): Promise<void> {
    await this.#ready;
    const path = this.#path(record.batchId);
    const tmp = `${path}.tmp`;
    const file = await open(tmp, "w");
    try {
      await file.writeFile(encodeRecord(record));
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(tmp, path);
    const dir = await open(this.dir, "r");
    try {
      await dir.sync();
    } finally {
      await dir.close();
    }
  }

  async list(): Promise<BatchRecord[]> {
    await this.#ready;
    const names = (await readdir(this.dir)).filter((n) => n.endsWith(".json")).sort();
    return Promise.all(
      names.map(async (n) => decodeRecord(await readFile(join(this.dir, n), "utf8"))),
    );
  }
}

export class MemoryBatchStore implements BatchStore {
  readonly #records = new Map<bigint, string>();
  async get(batchId: bigint) {
    const s = this.#records.get(batchId);
    return s === undefined ? undefined : decodeRecord(s);
  }
  async put(record: BatchRecord) {
    this.#records.set(record.batchId, encodeRecord(record));
  }
  async list() {
    return [...this.#records.keys()]
      .sort((a, b) => (a < b ? -1 : 1))
      .map((k) => decodeRecord(this.#records.get(k)!));
  }
}
