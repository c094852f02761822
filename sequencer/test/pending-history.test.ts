/**
 * The service's arrangement for the settled-history archive: the core prunes into a
 * PendingHistory, the snapshot thread's replica writes the archive, and a finished snapshot
 * releases what it covers. Real journal, real worker, real SQLite.
 */
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Address, Hex } from "viem";
import { afterAll, describe, expect, it } from "vitest";
import type { JournalLogger } from "../src/journal/journal-error.js";
import { JournalWriter } from "../src/journal/journal-writer.js";
import { readSnapshot } from "../src/journal/snapshot-store.js";
import { segmentName } from "../src/journal/segment-files.js";
import type { CoreSnapshot } from "../src/core/core-snapshot.js";
import { ExchangeCore } from "../src/core/exchange-core.js";
import { DatabaseSync } from "node:sqlite";
import { HistoryStore } from "../src/read/history-store.js";
import { MemoryHistory } from "../src/core/history.js";
import { PendingHistory } from "../src/read/pending-history.js";
import { serviceRecordCodec, type ServiceRecord } from "../src/core/service-record.js";
import { SnapshotThread } from "../src/runtime/snapshot-thread.js";
import {
  T0,
  USDC,
  WETH,
  chainRecords,
  hash,
  initRecord,
  orderRecord,
} from "./helpers/core-records.js";
import {
  accountFillsPage,
  accountOrdersPage,
  batchesPage,
  marketFills,
} from "../src/read/paging.js";

const roots: string[] = [];
afterAll(() => {
  for (const dir of roots) rmSync(dir, { recursive: true, force: true });
});
const quiet: JournalLogger = { warn: () => undefined, info: () => undefined };
const PRICE = 2_000n * 10n ** 6n;
const LOT = 10n ** 15n;
const A = "0x000000000000000000000000000000000000000a" as Address;
const B = "0x000000000000000000000000000000000000000b" as Address;

/**
 * A journaled core as the service runs it (apply, then append), beside a reference core that
 * keeps everything it prunes in memory. `round` trades, settles and ticks: everything it makes
 * is pruned at its tick.
 */
function service() {
  const dir = mkdtempSync(join(tmpdir(), "clearmatch-pending-history-"));
  roots.push(dir);
  const journalDir = join(dir, "journal");
  const historyPath = join(dir, "history.sqlite");
  mkdirSync(journalDir);
  const journal = JournalWriter.open(journalDir, segmentName(1), 1, serviceRecordCodec, {
    preallocateBytes: 256 << 10,
  });
  const archive = new HistoryStore(historyPath);
  const pending = new PendingHistory(archive);
  pending.recordSeq = () => journal.lastSeq + 1;
  const core = new ExchangeCore({ history: pending });
  const reference = new ExchangeCore({ history: new MemoryHistory() });
  const acks: Array<Promise<number>> = [];
  const commit = (record: ServiceRecord) => {
    reference.apply(record);
    const result = core.apply(record);
    if (result.error) throw result.error;
    acks.push(journal.append(record));
  };
  const { chain, market } = chainRecords();
  commit(initRecord());
  commit(market());
  commit(chain("Deposited", { account: A, token: USDC, amount: 10n ** 30n }));
  commit(chain("Deposited", { account: B, token: WETH, amount: 10n ** 30n }));
  let n = 0;
  let batchId = 1n;
  const round = (orders: number) => {
    for (const end = n + orders; n < end; n += 2) {
      commit(orderRecord(n + 1, B, 1, PRICE, LOT * BigInt(1 + (n % 3))));
      commit(orderRecord(n + 2, A, 0, PRICE, LOT * BigInt(1 + (n % 3))));
    }
    commit({ kind: "cut", ms: T0 + n, maxFills: 10_000 });
    commit(chain("BatchCommitted", { batchId, finalizableAt: 1n }));
    commit(chain("BatchFinalized", { batchId }));
    batchId++;
    commit({ kind: "expire", ms: T0 + n });
  };
  const durable = async () => {
    await Promise.all(acks.splice(0));
    return journal.lastSeq;
  };
  const close = async () => {
    await journal.close();
    archive.close();
  };
  return { journalDir, historyPath, core, reference, pending, round, durable, close };
}

/** What the API asks, as data. */
function answers(core: ExchangeCore) {
  return {
    orders: [1, 2, 3, 50, 99, 100, 101, 150].map((k) => core.order(hash(k) as Hex)),
    fills: [1, 2, 25, 50, 75].map((id) => core.fill(id)),
    batches: batchesPage(core, 10),
    ordersA: accountOrdersPage(core, A, 7),
    ordersAfter: accountOrdersPage(core, A, 5, hash(60) as Hex),
    fillsB: accountFillsPage(core, B, 9),
    fillsAfter: accountFillsPage(core, B, 4, 30),
    trades: marketFills(core, 1, 12),
  };
}

describe("PendingHistory with the snapshot thread writing the archive", () => {
  it("holds pruned entries until the snapshot thread has archived them, answering the same throughout", async () => {
    const s = service();
    const thread = new SnapshotThread({ dir: s.journalDir, historyPath: s.historyPath }, quiet);
    try {
      s.round(100);
      s.round(60);
      // Pruned: out of the core's memory, waiting here; nothing on disk yet.
      const waiting = s.pending.size;
      expect(waiting).toBe(160 + 80 + 2);
      expect(s.pending.archive.order(hash(1) as Hex)).toBeUndefined();
      expect(answers(s.core)).toEqual(answers(s.reference));

      const seq = await s.durable();
      s.round(40); // pruned by records after the snapshot: they stay waiting
      const done = await thread.snapshot(seq);
      expect(readSnapshot<CoreSnapshot>(s.journalDir, done.file).seq).toBe(seq);
      // The worker's replica archived everything pruned up to `seq` before writing the snapshot.
      expect(s.pending.archive.order(hash(1) as Hex)).toEqual(s.reference.order(hash(1) as Hex));
      // Written, not yet released: both places hold them, and lists count each once.
      expect(answers(s.core)).toEqual(answers(s.reference));
      s.pending.release(seq);
      expect(s.pending.size).toBe(40 + 20 + 1);
      expect(answers(s.core)).toEqual(answers(s.reference));

      // A snapshot on the main thread: what waits is written first.
      s.pending.persist();
      s.pending.release(await s.durable());
      expect(s.pending.size).toBe(0);
      expect(answers(s.core)).toEqual(answers(s.reference));
    } finally {
      await thread.close();
      await s.close();
    }
  });

  it("stops the snapshot thread when its replica cannot archive, so snapshots fall back to the service's own core", async () => {
    const s = service();
    // Every fill insert fails from now on, for every connection (the trigger is in the file).
    const db = new DatabaseSync(s.historyPath);
    db.exec(
      "CREATE TRIGGER refuse BEFORE INSERT ON fills BEGIN SELECT RAISE(ABORT, 'disk full'); END",
    );
    db.close();
    const thread = new SnapshotThread({ dir: s.journalDir, historyPath: s.historyPath }, quiet);
    try {
      s.round(20);
      const seq = await s.durable();
      await expect(thread.snapshot(seq)).rejects.toThrow(/disk full/);
      // The replica applied that tick only in part: the worker exits rather than snapshot again.
      for (let i = 0; i < 100 && thread.failure === undefined; i++) {
        await new Promise((r) => setTimeout(r, 20));
      }
      expect(thread.failure?.message).toMatch(/exited/);
      await expect(thread.snapshot(seq)).rejects.toBe(thread.failure);
      // Nothing was released: the service's core still answers everything from memory.
      expect(s.pending.size).toBe(20 + 10 + 1);
      expect(answers(s.core)).toEqual(answers(s.reference));
    } finally {
      await thread.close();
      await s.close();
    }
  });
});
