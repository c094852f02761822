import { mkdir, open, readFile, readdir, rename, rm } from "node:fs/promises";
import { join } from "node:path";
import type { Hex } from "viem";
import type { Delta } from "@clearmatch/protocol";

/** Off-chain life of a batch; a fill's state follows its batch's. */
export type BatchState = "BATCHED" | "COMMITTED" | "FINALIZED" | "ROLLED_BACK";

/** Everything the pipeline needs to commit and finalize a batch, and to serve fill proofs. */
export interface BatchRecord {
  batchId: bigint;
  fillsRoot: Hex;
  fillCount: number;
  deltas: Delta[];
  /** The fills as `commitBatch` takes them: packed records pointing at `deltas`. */
  commitFills: Hex;
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
  /** Removes a batch withdrawn before its commit (its id goes to the next cut). */
  delete(batchId: bigint): Promise<void>;
}

const replacer = (_: string, v: unknown) => (typeof v === "bigint" ? { $bigint: v.toString() } : v);
const reviver = (_: string, v: unknown) =>
  v !== null && typeof v === "object" && "$bigint" in v
    ? BigInt((v as { $bigint: string }).$bigint)
    : v;

export const encodeRecord = (r: BatchRecord) => JSON.stringify(r, replacer);
export const decodeRecord = (s: string) => JSON.parse(s, reviver) as BatchRecord;

export interface FileBatchStoreOptions {
  /**
   * Most bytes of encoded records kept in memory (least recently used evicted first). Batches
   * accumulate forever (one file each), so the cache is bounded; default 64 MiB.
   */
  readonly cacheBytes?: number;
}

/** Default bound of the FileBatchStore cache. */
export const DEFAULT_BATCH_CACHE_BYTES = 64 * 1024 * 1024;

/**
 * One JSON file per batch under `dir`, each replaced atomically (temp file, fsync, rename, fsync of
 * the directory), so a crash leaves either the old or the new record, never a torn one.
 *
 * Reads are served from a write-through, size-bounded LRU cache of the encoded records: `put`
 * updates it once the file is durable, `get` and `list` fill it from disk on a miss. It holds
 * the encoded JSON, so every caller still gets its own decoded copy (callers mutate the record
 * they read before putting it back) exactly as a disk read would give it. The cache starts empty
 * and fills from the files, so a restarted process sees what is on disk. Puts of one batch are
 * serialised (the cache then follows the file's last write). The store assumes it is the only
 * writer of `dir`.
 */
export class FileBatchStore implements BatchStore {
  #ready: Promise<unknown>;
  readonly #cacheBytes: number;
  /** Encoded records by batch id, least recently used first. */
  readonly #cache = new Map<bigint, string>();
  #cachedBytes = 0;
  /** The last pending put of each batch (puts of one batch run one after the other). */
  readonly #writes = new Map<bigint, Promise<void>>();
  /** Puts started so far: a read overlapping one is not cached (it may predate the write). */
  #puts = 0;

  constructor(
    private readonly dir: string,
    options: FileBatchStoreOptions = {},
  ) {
    this.#ready = mkdir(dir, { recursive: true });
    this.#cacheBytes = options.cacheBytes ?? DEFAULT_BATCH_CACHE_BYTES;
  }

  #path(batchId: bigint) {
    return join(this.dir, `${batchId.toString().padStart(12, "0")}.json`);
  }

  /** Records held in memory and their encoded size (for tests and metrics). */
  get cacheStats(): { records: number; bytes: number } {
    return { records: this.#cache.size, bytes: this.#cachedBytes };
  }

  async get(batchId: bigint): Promise<BatchRecord | undefined> {
    const cached = this.#cached(batchId);
    if (cached !== undefined) return decodeRecord(cached);
    await this.#ready;
    const puts = this.#puts;
    let text: string;
    try {
      text = await readFile(this.#path(batchId), "utf8");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw error;
    }
    // A put that started while the file was read may be newer than what was read.
    if (puts === this.#puts && !this.#writes.has(batchId)) this.#remember(batchId, text);
    return decodeRecord(text);
  }

  put(record: BatchRecord): Promise<void> {
    const batchId = record.batchId;
    // Encoded now: the caller may keep mutating `record` while the write waits its turn.
    const text = encodeRecord(record);
    this.#puts += 1;
    const previous = this.#writes.get(batchId) ?? Promise.resolve();
    const write = previous
      .catch(() => undefined)
      .then(() => this.#write(batchId, text))
      .finally(() => {
        if (this.#writes.get(batchId) === write) this.#writes.delete(batchId);
      });
    this.#writes.set(batchId, write);
    return write;
  }

  delete(batchId: bigint): Promise<void> {
    this.#puts += 1;
    const previous = this.#writes.get(batchId) ?? Promise.resolve();
    const removal = previous
      .catch(() => undefined)
      .then(async () => {
        await this.#ready;
        this.#forget(batchId);
        await rm(this.#path(batchId), { force: true });
        await this.#syncDir();
      })
      .finally(() => {
        if (this.#writes.get(batchId) === removal) this.#writes.delete(batchId);
      });
    this.#writes.set(batchId, removal);
    return removal;
  }

  async #syncDir(): Promise<void> {
    const dir = await open(this.dir, "r");
    try {
      await dir.sync();
    } finally {
      await dir.close();
    }
  }

  async #write(batchId: bigint, text: string): Promise<void> {
    await this.#ready;
    const path = this.#path(batchId);
    const tmp = `${path}.tmp`;
    try {
      const file = await open(tmp, "w");
      try {
        await file.writeFile(text);
        await file.sync();
      } finally {
        await file.close();
      }
      await rename(tmp, path);
      await this.#syncDir();
    } catch (error) {
      // The file may hold either version now: the next read goes to disk.
      this.#forget(batchId);
      throw error;
    }
    this.#remember(batchId, text);
  }

  async list(): Promise<BatchRecord[]> {
    await this.#ready;
    const names = (await readdir(this.dir)).filter((n) => /^[0-9]+\.json$/.test(n)).sort();
    return Promise.all(names.map((n) => this.get(BigInt(n.slice(0, -".json".length))))).then(
      (records) => records.filter((r): r is BatchRecord => r !== undefined),
    );
  }

  #cached(batchId: bigint): string | undefined {
    const text = this.#cache.get(batchId);
    if (text !== undefined) {
      // Most recently used last.
      this.#cache.delete(batchId);
      this.#cache.set(batchId, text);
    }
    return text;
  }

  #remember(batchId: bigint, text: string): void {
    this.#forget(batchId);
    if (text.length > this.#cacheBytes) return;
    this.#cache.set(batchId, text);
    this.#cachedBytes += text.length;
    for (const [id, old] of this.#cache) {
      if (this.#cachedBytes <= this.#cacheBytes) break;
      this.#cache.delete(id);
      this.#cachedBytes -= old.length;
    }
  }

  #forget(batchId: bigint): void {
    const old = this.#cache.get(batchId);
    if (old === undefined) return;
    this.#cache.delete(batchId);
    this.#cachedBytes -= old.length;
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
  async delete(batchId: bigint) {
    this.#records.delete(batchId);
  }
  async list() {
    return [...this.#records.keys()]
      .sort((a, b) => (a < b ? -1 : 1))
      .map((k) => decodeRecord(this.#records.get(k)!));
  }
}
