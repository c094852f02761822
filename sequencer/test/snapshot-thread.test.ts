/**
 * The snapshot thread against a real journal of service records: its replica's snapshot at a
 * record is the service core's own snapshot at that record, while records keep coming.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Address } from "viem";
import { afterAll, describe, expect, it } from "vitest";
import type { JournalLogger } from "../src/journal/journal-error.js";
import { JournalWriter } from "../src/journal/journal-writer.js";
import { pruneJournal } from "../src/journal/recovery.js";
import { readSnapshot } from "../src/journal/snapshot-store.js";
import { listSegments, listSnapshots, segmentName } from "../src/journal/segment-files.js";
import type { CoreSnapshot } from "../src/core/core-snapshot.js";
import { ExchangeCore } from "../src/core/exchange-core.js";
import { serviceRecordCodec, type ServiceRecord } from "../src/core/service-record.js";
import { SnapshotThread, SnapshotThreadError } from "../src/runtime/snapshot-thread.js";
import { chainRecords, initRecord, orderRecord, USDC, WETH } from "./helpers/core-records.js";

const roots: string[] = [];
afterAll(() => {
  for (const dir of roots) rmSync(dir, { recursive: true, force: true });
});
const quiet: JournalLogger = { warn: () => undefined, info: () => undefined };

const PRICE = 2_500_000_000n;
const TICK = 10_000n;
const LOT = 10n ** 15n;
const traders = Array.from(
  { length: 8 },
  (_, i) => `0x${(i + 1).toString(16).padStart(40, "0")}` as Address,
);

/** The service's arrangement: each record applied to the core, then journaled. */
function service() {
  const dir = mkdtempSync(join(tmpdir(), "clearmatch-snapshot-thread-"));
  roots.push(dir);
  const journal = JournalWriter.open(dir, segmentName(1), 1, serviceRecordCodec, {
    preallocateBytes: 256 << 10,
  });
  const core = new ExchangeCore();
  const acks: Array<Promise<number>> = [];
  const commit = (record: ServiceRecord) => {
    const result = core.apply(record);
    if (result.error) throw result.error;
    acks.push(journal.append(record));
  };
  const { chain, market } = chainRecords();
  commit(initRecord());
  commit(market());
  for (const account of traders) {
    commit(chain("Deposited", { account, token: WETH, amount: 10n ** 30n }));
    commit(chain("Deposited", { account, token: USDC, amount: 10n ** 30n }));
  }
  let n = 0;
  /** `count` more orders, a fifth of them crossing the spread (so there are fills). */
  const orders = (count: number) => {
    for (const end = n + count; n < end; n++) {
      const side = n % 2;
      const ticks = n % 10 === 4 || n % 10 === 9 ? -60n : BigInt(1 + ((n * 7) % 50));
      const price = side === 0 ? PRICE - ticks * TICK : PRICE + ticks * TICK;
      const trader = traders[(n % 4) * 2 + side]!;
      commit(orderRecord(n + 1, trader, side, price, LOT * BigInt(1 + (n % 5))));
    }
  };
  const durable = async () => {
    await Promise.all(acks.splice(0));
    return journal.lastSeq;
  };
  return { dir, journal, core, orders, durable };
}

/** Nice values of this process's threads (Linux: field 19 of /proc/self/task/<tid>/stat). */
function threadNiceValues(): number[] {
  return readdirSync("/proc/self/task").map((tid) => {
    const stat = readFileSync(`/proc/self/task/${tid}/stat`, "utf8");
    // Fields after the command name (which is in parentheses and may hold spaces).
    return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[16]);
  });
}

describe("SnapshotThread", () => {
  it("writes the core's own snapshot at the record asked for, while records keep coming", async () => {
    const s = service();
    const thread = new SnapshotThread({ dir: s.dir }, quiet);
    try {
      s.orders(600);
      const seq = await s.durable();
      const expected = s.core.snapshot();
      expect(s.core.matchedCount).toBeGreaterThan(0);
      const asked = thread.snapshot(seq);
      // The service goes on meanwhile; the snapshot is still of record `seq`.
      s.orders(300);
      const done = await asked;
      expect(done).toMatchObject({ type: "done", seq, records: seq });
      expect(readSnapshot<CoreSnapshot>(s.dir, done.file)).toEqual({ seq, engine: expected });
      // The worker runs at the lowest CPU priority, and only it.
      expect(threadNiceValues().filter((n) => n === 19)).toHaveLength(1);

      // The next one replays only what came since.
      const seq2 = await s.durable();
      const done2 = await thread.snapshot(seq2);
      expect(done2.records).toBe(seq2 - seq);
      expect(readSnapshot<CoreSnapshot>(s.dir, done2.file).engine).toEqual(s.core.snapshot());
    } finally {
      await thread.close();
      await s.journal.close();
    }
  });

  it("starts from the newest snapshot and follows the journal across rotations", async () => {
    const s = service();
    const first = new SnapshotThread({ dir: s.dir }, quiet);
    s.orders(200);
    const seq = await s.durable();
    await first.snapshot(seq);
    await first.close();
    await s.journal.rotate();
    pruneJournal({ dir: s.dir });
    s.orders(200);
    await s.journal.rotate();
    s.orders(100);

    const second = new SnapshotThread({ dir: s.dir }, quiet);
    try {
      const seq2 = await s.durable();
      const done = await second.snapshot(seq2);
      // The segment before the snapshot is gone; the replica crossed the rotation after it.
      expect(listSegments(s.dir).map((f) => f.seq)).toEqual([seq + 1, seq + 201]);
      // Restored at `seq`, so it replayed only the records after it.
      expect(done.records).toBe(seq2 - seq);
      expect(readSnapshot<CoreSnapshot>(s.dir, done.file).engine).toEqual(s.core.snapshot());
      expect(listSnapshots(s.dir).map((f) => f.seq)).toEqual([seq, seq2]);
    } finally {
      await second.close();
      await s.journal.close();
    }
  });

  it("refuses a record the journal does not hold, and serves the next request", async () => {
    const s = service();
    const thread = new SnapshotThread({ dir: s.dir }, quiet);
    try {
      s.orders(50);
      const seq = await s.durable();
      const refused = await thread.snapshot(seq + 10).catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(SnapshotThreadError);
      expect((refused as SnapshotThreadError).code).toBe("SEQUENCE_GAP");
      expect(listSnapshots(s.dir)).toEqual([]);
      expect(thread.failure).toBeUndefined();
      s.orders(20);
      const seq2 = await s.durable();
      const done = await thread.snapshot(seq2);
      expect(readSnapshot<CoreSnapshot>(s.dir, done.file).engine).toEqual(s.core.snapshot());
    } finally {
      await thread.close();
      await s.journal.close();
    }
  });

  it("starts in a process run with V8 flags, which a worker may not be given", async () => {
    // An operator's `node --max-old-space-size=... service.js`: V8 flags are process-wide, and a
    // Worker given them in its own execArgv refuses to start (ERR_WORKER_INVALID_EXEC_ARGV).
    const s = service();
    s.orders(40);
    const seq = await s.durable();
    await s.journal.close();
    const child = fileURLToPath(new URL("./snapshot-thread-child.ts", import.meta.url));
    const flags = ["--max-old-space-size=2048", "--max-semi-space-size=32", "--expose-gc"];
    const out = execFileSync(
      process.execPath,
      [...flags, "--import", "tsx", child, s.dir, String(seq)],
      { encoding: "utf8", timeout: 60_000 },
    );
    const done = JSON.parse(out) as { type: string; seq: number; file: string };
    expect(done).toMatchObject({ type: "done", seq });
    expect(readSnapshot<CoreSnapshot>(s.dir, done.file).engine).toEqual(s.core.snapshot());
  });

  it("reports its end once closed", async () => {
    const s = service();
    const thread = new SnapshotThread({ dir: s.dir }, quiet);
    await thread.close();
    expect(thread.failure).toBeInstanceOf(SnapshotThreadError);
    await expect(thread.snapshot(1)).rejects.toThrow(/exited/);
    await s.journal.close();
  });
});
