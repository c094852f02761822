import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { Address, Hex } from "viem";
import type { CoreSnapshot } from "../src/core/core-snapshot.js";
import { ExchangeCore } from "../src/core/exchange-core.js";
import { HistoryStore } from "../src/read/history-store.js";
import { MemoryHistory, discardHistory, type HistoryArchive } from "../src/core/history.js";
import type { ServiceRecord } from "../src/core/service-record.js";
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
  acceptedOrdersPage,
  accountFillsPage,
  accountOrdersPage,
  allAccountFills,
  allAccountOrders,
  allBatches,
  batchesPage,
  marketFills,
} from "../src/read/paging.js";

const A = "0x000000000000000000000000000000000000000a" as Address;
const B = "0x000000000000000000000000000000000000000b" as Address;
const PRICE = 2_000n * 10n ** 6n;
const ETH = 10n ** 18n;
const { chain, market, reset } = chainRecords();
const tick = (s: number): ServiceRecord => ({ kind: "expire", ms: T0 + s * 1000 });
const cancel = (n: number): ServiceRecord => ({
  kind: "cancel",
  ms: T0 + 50,
  orderHash: hash(n),
  signature: `0x${"22".repeat(65)}` as Hex,
});

/**
 * Two batches: batch 1 (orders 1-2, one fill) finalized, batch 2 (orders 3-4) only committed.
 * Orders 5 and 6 rest and 6 is cancelled unfilled; order 7 rests open.
 */
function script(): ServiceRecord[] {
  reset();
  return [
    initRecord(),
    market(),
    chain("Deposited", { account: A, token: USDC, amount: 100_000n * 10n ** 6n }),
    chain("Deposited", { account: B, token: WETH, amount: 50n * ETH }),
    orderRecord(1, B, 1, PRICE, ETH),
    orderRecord(2, A, 0, PRICE, ETH),
    { kind: "cut", ms: T0 + 10, maxFills: 100 },
    orderRecord(3, B, 1, PRICE, ETH),
    orderRecord(4, A, 0, PRICE, ETH),
    { kind: "cut", ms: T0 + 20, maxFills: 100 },
    orderRecord(5, A, 0, PRICE - 10_000n, ETH),
    orderRecord(6, B, 1, PRICE + 10_000n, ETH),
    cancel(6),
    orderRecord(7, B, 1, PRICE + 20_000n, ETH),
    chain("BatchCommitted", { batchId: 1n, finalizableAt: 1n }),
    chain("BatchCommitted", { batchId: 2n, finalizableAt: 1n }),
    chain("BatchFinalized", { batchId: 1n }),
  ];
}

/** Every query the API makes of the core, as plain data. */
function answers(core: ExchangeCore) {
  const pages = (account: Address) => {
    const out: string[][] = [];
    let after: Hex | undefined;
    for (;;) {
      const page = accountOrdersPage(core, account, 2, after)!;
      if (page.length === 0) break;
      out.push(page.map((o) => `${o.orderHash}:${o.status}:${o.seq}`));
      after = page.at(-1)!.orderHash;
    }
    return out;
  };
  const fillPages = (account: Address) => {
    const out: number[][] = [];
    let after: number | undefined;
    for (;;) {
      const page = accountFillsPage(core, account, 1, after)!;
      if (page.length === 0) break;
      out.push(page.map((f) => f.fillId));
      after = page.at(-1)!.fillId;
    }
    return out;
  };
  // The order feed, oldest first, two at a time: live and archived orders alike.
  const feed: string[][] = [];
  for (let after = 0; ;) {
    const page = acceptedOrdersPage(core, after, 2);
    if (page.length === 0) break;
    feed.push(page.map((o) => `${o.seq}:${o.orderHash}:${o.signature}`));
    after = page.at(-1)!.seq;
  }
  return {
    feed,
    orders: [1, 2, 3, 4, 5, 6, 7].map((n) => core.order(hash(n))),
    fills: [1, 2].map((id) => core.fill(id)),
    batches: allBatches(core),
    batch1: core.batch(1n),
    batchPage: batchesPage(core, 1, 2n),
    ordersA: pages(A),
    ordersB: pages(B),
    fillsA: fillPages(A),
    fillsB: fillPages(B),
    trades: marketFills(core, 1, 10).map((f) => f.fillId),
    accountOrders: allAccountOrders(core, B).map((o) => o.orderHash),
    accountFills: allAccountFills(core, A).map((f) => f.fillId),
  };
}

/** Entries the core holds in memory (what a snapshot carries). */
function held(core: ExchangeCore) {
  const state = core.snapshot().state as {
    orders: unknown[];
    fills: unknown[];
    batches: unknown[];
  };
  return {
    orders: state.orders.length,
    fills: state.fills.length,
    batches: state.batches.length,
  };
}

const dirs: string[] = [];
const stores: HistoryStore[] = [];
afterEach(() => {
  for (const s of stores.splice(0)) s.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function sqlite(): HistoryStore {
  const dir = mkdtempSync(join(tmpdir(), "clearmatch-history-"));
  dirs.push(dir);
  const store = new HistoryStore(join(dir, "history.sqlite"));
  stores.push(store);
  return store;
}

describe("retention: settled history leaves the core's memory for the archive", () => {
  it("moves final fills and batches and done orders out at the next tick, and answers every query as before", () => {
    const core = new ExchangeCore({ history: sqlite() });
    for (const r of script()) core.apply(r);
    const before = answers(core);
    expect(held(core)).toEqual({ orders: 7, fills: 2, batches: 2 });
    core.apply(tick(100));
    // Gone: fill 1 and batch 1 (finalized), orders 1 and 2 (filled, their only fill final) and 6
    // (cancelled unfilled). Kept: batch 2 and its fill (committed, not final), orders 3 and 4
    // (filled, fill pending), and the open orders 5 and 7.
    expect(held(core)).toEqual({ orders: 4, fills: 1, batches: 1 });
    expect(answers(core)).toEqual(before);
    // The feed lists all seven accepted orders in acceptance order, archived (1, 2, 6) or live.
    expect(before.feed.flat().map((e) => Number(e.split(":")[0]))).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(before.ordersB).toEqual([
      [`${hash(7)}:open:7`, `${hash(6)}:cancelled:6`],
      [`${hash(3)}:filled:3`, `${hash(1)}:filled:1`],
    ]);
    expect(before.fillsA).toEqual([[2], [1]]);
  });

  it("keeps an order while a fill of it is pending, and lets it go once that fill is final", () => {
    const core = new ExchangeCore({ history: sqlite() });
    for (const r of script()) core.apply(r);
    core.apply(tick(100));
    expect(held(core).orders).toBe(4);
    core.apply(chain("BatchFinalized", { batchId: 2n }));
    core.apply(tick(101));
    // Orders 3 and 4 (filled) and fill 2 and batch 2 go; the open orders 5 and 7 stay.
    expect(held(core)).toEqual({ orders: 2, fills: 0, batches: 0 });
    expect(core.order(hash(4))?.status).toBe("filled");
    expect(core.fill(2)?.state).toBe("FINALIZED");
    expect(core.batch(2n)?.state).toBe("FINALIZED");
  });

  it("archives busted fills and rolled-back batches, and re-batches the valid fills it keeps", () => {
    const core = new ExchangeCore({ history: sqlite() });
    for (const r of script()) core.apply(r);
    core.apply(chain("FraudProven", { batchId: 2n, orderHash: hash(3), kind: 0 }));
    core.apply(chain("BatchesRolledBack", { fromBatchId: 2n, toBatchId: 2n, reason: 0 }));
    core.apply(tick(100));
    expect(core.fill(2)?.state).toBe("ROLLED_BACK");
    expect(core.batch(2n)?.state).toBe("ROLLED_BACK");
    expect(held(core)).toEqual({ orders: 2, fills: 0, batches: 0 });
    core.ledger.checkInvariants();
  });

  it("answers a cancel of an archived order as it did before (filled: refused; cancelled: no-op)", () => {
    const core = new ExchangeCore({ history: sqlite() });
    for (const r of script()) core.apply(r);
    core.apply(tick(100));
    expect(core.apply(cancel(1)).error?.code).toBe("ORDER_FILLED");
    const again = core.apply(cancel(6));
    expect(again.error).toBeUndefined();
    expect(again.mutated).toBe(false);
    expect(again.order?.status).toBe("cancelled");
    // The intake's idempotency check finds the archived order while the engine remembers it.
    expect(core.knownOrder(hash(1))?.status).toBe("filled");
    expect(core.knownOrder(hash(99))).toBeUndefined();
  });

  it("snapshots only what is live, and a restored core (its archive beside it) answers the same", () => {
    const history = sqlite();
    const core = new ExchangeCore({ history });
    for (const r of script()) core.apply(r);
    core.apply(tick(100));
    const snap = JSON.parse(JSON.stringify(core.snapshot())) as CoreSnapshot;
    const restored = ExchangeCore.restore(snap, { history });
    expect(JSON.stringify(restored.snapshot())).toBe(JSON.stringify(core.snapshot()));
    expect(answers(restored)).toEqual(answers(core));
    // Both go on identically (acceptance numbers and pending counts came along).
    const more = [
      orderRecord(8, A, 0, PRICE + 20_000n, ETH),
      chain("BatchFinalized", { batchId: 2n }),
      tick(101),
    ];
    for (const c of [core, restored]) for (const r of more) c.apply(r);
    expect(JSON.stringify(restored.snapshot())).toBe(JSON.stringify(core.snapshot()));
    expect(answers(restored)).toEqual(answers(core));
  });

  it("restores a snapshot written before retention and prunes its settled backlog at the next tick", () => {
    const reference = new ExchangeCore({ history: sqlite() });
    for (const r of script()) reference.apply(r);
    const snap = JSON.parse(JSON.stringify(reference.snapshot())) as CoreSnapshot;
    // The earlier format: no acceptance numbers, pending counts or prune queues.
    const state = snap.state as Record<string, unknown>;
    for (const k of ["nextOrderSeq", "unsettled", "pruneOrders", "pruneFills", "pruneBatches"]) {
      delete state[k];
    }
    for (const [, o] of state["orders"] as [string, Record<string, unknown>][]) delete o["seq"];
    const old = ExchangeCore.restore(snap, { history: sqlite() });
    expect(answers(old)).toEqual(answers(reference));
    old.apply(tick(100));
    reference.apply(tick(100));
    expect(held(old)).toEqual(held(reference));
    expect(answers(old)).toEqual(answers(reference));
  });

  it("keeps memory to the live orders through many placed-and-cancelled orders", () => {
    const core = new ExchangeCore({ history: new MemoryHistory() });
    for (const r of script()) core.apply(r);
    for (let n = 100; n < 1100; n++) {
      core.apply(orderRecord(n, A, 0, PRICE - 100_000n, ETH / 10n));
      core.apply({ ...cancel(n), ms: T0 + n });
      if (n % 100 === 0) core.apply(tick(n));
    }
    core.apply(tick(2000));
    expect(held(core).orders).toBe(4);
    expect(allAccountOrders(core, A).length).toBe(1003);
    expect(accountOrdersPage(core, A, 3)!.map((o) => o.seq)).toEqual([1007, 1006, 1005]);
  });
});

describe("HistoryStore", () => {
  it("keeps what it archived across a checkpoint, close and reopen, and overwrites idempotently", () => {
    const dir = mkdtempSync(join(tmpdir(), "clearmatch-history-"));
    dirs.push(dir);
    const path = join(dir, "history.sqlite");
    const source = new ExchangeCore({ history: new MemoryHistory() });
    const store = new HistoryStore(path);
    // Every entry written twice: a replay archives the same entries again.
    const collect: HistoryArchive = {
      ...discardHistory,
      write: (entries) => {
        store.write(entries);
        store.write(entries);
      },
    };
    const core = new ExchangeCore({ history: collect });
    for (const r of script()) {
      core.apply(r);
      source.apply(r);
    }
    core.apply(tick(100));
    store.checkpoint();
    store.close();
    const reopened = new HistoryStore(path);
    stores.push(reopened);
    expect(reopened.order(hash(1))).toEqual(source.order(hash(1)));
    expect(reopened.fill(1)).toEqual(source.fill(1));
    expect(reopened.batch(1n)).toEqual(source.batch(1n));
    expect(reopened.accountFills(A, Number.MAX_SAFE_INTEGER, 10).map((f) => f.fillId)).toEqual([1]);
    expect(reopened.accountOrders(B, Number.MAX_SAFE_INTEGER, 10).map((o) => o.seq)).toEqual([
      6, 1,
    ]);
    expect(reopened.batches(1n << 64n, 10).map((b) => b.batchId)).toEqual([1n]);
    expect(reopened.batch(1n << 70n)).toBeUndefined();
  });
});
