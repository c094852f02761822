/** FileBatchStore: write-through, size-bounded read cache over the durable files. */
import { mkdtemp, readFile, rm, unlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Hex } from "viem";
import {
  decodeRecord,
  encodeRecord,
  FileBatchStore,
  type BatchRecord,
} from "../src/settlement/batch-store.js";

const root = `0x${"ab".repeat(32)}` as Hex;
const record = (batchId: bigint, fills = 1): BatchRecord => ({
  batchId,
  fillsRoot: root,
  fillCount: fills,
  commitFills: "0x",
  deltas: [
    {
      account: "0x000000000000000000000000000000000000000a",
      token: "0x00000000000000000000000000000000000000c1",
      delta: -(10n ** 30n),
    },
  ],
  fills: Array.from({ length: fills }, (_, i) => ({ fillId: i, proof: [root] })),
  state: "BATCHED",
  cutAtMs: 1_000,
});
const file = (dir: string, id: bigint) => join(dir, `${id.toString().padStart(12, "0")}.json`);

describe("FileBatchStore cache", () => {
  let base: string;
  let n = 0;
  const freshDir = () => join(base, String(n++));

  beforeAll(async () => {
    base = await mkdtemp(join(tmpdir(), "clearmatch-batch-store-"));
  });
  afterAll(async () => {
    await rm(base, { recursive: true, force: true });
  });

  it("writes through: the file is durable and later reads are served from memory", async () => {
    const dir = freshDir();
    const store = new FileBatchStore(dir);
    await store.put(record(1n));
    expect(decodeRecord(await readFile(file(dir, 1n), "utf8"))).toEqual(record(1n));
    await unlink(file(dir, 1n)); // only the cache holds it now
    expect(await store.get(1n)).toEqual(record(1n));
    expect(store.cacheStats.records).toBe(1);
  });

  it("hands out copies: mutating a read or a put record does not change what is stored", async () => {
    const store = new FileBatchStore(freshDir());
    const r = record(2n);
    await store.put(r);
    r.state = "FINALIZED";
    const read = (await store.get(2n))!;
    expect(read.state).toBe("BATCHED");
    read.state = "COMMITTED";
    (read.deltas[0] as { delta: bigint }).delta = 0n;
    expect(await store.get(2n)).toEqual(record(2n));
  });

  it("is correct after a restart: a new store reads what the old one wrote", async () => {
    const dir = freshDir();
    const first = new FileBatchStore(dir);
    await first.put(record(3n));
    await first.put({ ...record(3n), state: "COMMITTED", commitTx: root });
    await first.put(record(4n));
    const second = new FileBatchStore(dir);
    expect(second.cacheStats.records).toBe(0);
    expect((await second.get(3n))?.state).toBe("COMMITTED");
    expect((await second.list()).map((r) => [r.batchId, r.state])).toEqual([
      [3n, "COMMITTED"],
      [4n, "BATCHED"],
    ]);
    expect(await second.get(5n)).toBeUndefined();
  });

  it("fills the cache on a miss, so a file changed behind its back is not re-read", async () => {
    const dir = freshDir();
    await new FileBatchStore(dir).put(record(6n));
    const store = new FileBatchStore(dir);
    expect((await store.get(6n))?.state).toBe("BATCHED");
    await writeFile(file(dir, 6n), encodeRecord({ ...record(6n), state: "FINALIZED" }));
    expect((await store.get(6n))?.state).toBe("BATCHED");
  });

  it("stays within its byte bound, evicting the least recently used (still readable from disk)", async () => {
    const dir = freshDir();
    const size = encodeRecord(record(10n, 20)).length;
    const store = new FileBatchStore(dir, { cacheBytes: size * 3 + 10 });
    for (let id = 10n; id < 20n; id++) {
      await store.put(record(id, 20));
      if (id >= 12n) await store.get(10n); // keep batch 10 recently used
      expect(store.cacheStats.bytes).toBeLessThanOrEqual(size * 3 + 10);
    }
    expect(store.cacheStats.records).toBe(3);
    await unlink(file(dir, 10n));
    expect(await store.get(10n)).toEqual(record(10n, 20)); // kept: recently used
    expect(await store.get(11n)).toEqual(record(11n, 20)); // evicted: read from disk
    expect((await store.list()).map((r) => r.batchId)).toEqual(
      Array.from({ length: 9 }, (_, i) => 11n + BigInt(i)),
    );
  });

  it("does not cache a record larger than the bound", async () => {
    const store = new FileBatchStore(freshDir(), { cacheBytes: 10 });
    await store.put(record(30n));
    expect(store.cacheStats).toEqual({ records: 0, bytes: 0 });
    expect(await store.get(30n)).toEqual(record(30n));
  });

  it("serialises concurrent puts of one batch: the last put wins on disk and in memory", async () => {
    const dir = freshDir();
    const store = new FileBatchStore(dir);
    const states = ["BATCHED", "COMMITTED", "FINALIZED"] as const;
    await Promise.all(states.map((state) => store.put({ ...record(40n), state })));
    expect((await store.get(40n))?.state).toBe("FINALIZED");
    expect((await new FileBatchStore(dir).get(40n))?.state).toBe("FINALIZED");
  });
});
