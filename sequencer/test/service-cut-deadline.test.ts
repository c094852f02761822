import { describe, expect, it } from "vitest";
import type { Address } from "viem";
import { ExchangeCore } from "../src/core/exchange-core.js";
import type { CoreOutput } from "../src/core/core-types.js";
import type { ServiceRecord } from "../src/core/service-record.js";
import { USDC, WETH, chainRecords, hash, initRecord, orderRecord } from "./helpers/core-records.js";

const A = "0x000000000000000000000000000000000000000a" as Address;
const B = "0x000000000000000000000000000000000000000b" as Address;
const PRICE = 2_000n * 10n ** 6n;
const ONE = 10n ** 18n;
/** The maker's signed expiry (unix s); the init record's margin is the default 30 s. */
const EXPIRY = 1_900_000_000;
const at = (sec: number) => sec * 1000;

/** A core with a market, both traders funded, and B's sell resting (expires at EXPIRY). */
function coreWithMaker(): ExchangeCore {
  const { chain, market } = chainRecords();
  const core = new ExchangeCore();
  const maker = orderRecord(1, B, 1, PRICE, ONE);
  if (maker.kind !== "order") throw new Error("unreachable");
  maker.ms = at(EXPIRY - 3_600);
  maker.order.expiry = BigInt(EXPIRY);
  for (const r of [
    initRecord(),
    market(),
    chain("Deposited", { account: A, token: USDC, amount: 100_000n * 10n ** 6n }),
    chain("Deposited", { account: B, token: WETH, amount: 5n * ONE }),
    maker,
  ] as ServiceRecord[]) {
    const result = core.apply(r);
    if (result.error) throw result.error;
  }
  return core;
}

/** A's buy taking half of the maker at `sec`. */
function take(core: ExchangeCore, sec: number) {
  const taker = orderRecord(2, A, 0, PRICE, ONE / 2n);
  taker.ms = at(sec);
  return core.apply(taker);
}

const busts = (outputs: CoreOutput[]) => outputs.filter((o) => o.type === "bust");

describe("cut deadlines: the commit's landing time, not the expiry margin twice", () => {
  it("commits a fill matched just before its order stops trading", () => {
    const core = coreWithMaker();
    // The maker trades until EXPIRY - 30; matched half a second before that.
    expect(take(core, EXPIRY - 31).fills).toHaveLength(1);
    // Cut a second later; its commit lands by the chain's time + COMMIT_LATENCY_MAX (10 s).
    const cutAt = EXPIRY - 30;
    const cut = core.apply({ kind: "cut", ms: at(cutAt), maxFills: 100, commitBy: cutAt + 10 });
    expect(busts(cut.outputs)).toEqual([]);
    expect(cut.outputs.find((o) => o.type === "batchCut")).toBeDefined();
    expect(core.order(hash(1))!.status).toBe("partially_filled");
  });

  it("busts it under the old rule (cut time + margin), which journals without commitBy keep", () => {
    const core = coreWithMaker();
    take(core, EXPIRY - 31);
    const cut = core.apply({ kind: "cut", ms: at(EXPIRY - 30), maxFills: 100 });
    expect(busts(cut.outputs)).toHaveLength(1);
  });

  it("busts a fill whose order expires by the time the commit lands, and the order says so", () => {
    const core = coreWithMaker();
    take(core, EXPIRY - 31);
    // The cut was delayed (a stalled pipeline): its commit could land only at or after EXPIRY.
    const cut = core.apply({
      kind: "cut",
      ms: at(EXPIRY - 12),
      maxFills: 100,
      commitBy: EXPIRY,
    });
    const [bust] = busts(cut.outputs);
    expect(bust).toMatchObject({ type: "bust", reason: "order expires before the commit" });
    // Both orders stop counting the busted amount. The taker (IOC-like: it filled completely
    // and closed) lost its only fill: its remainder never trades, so it is cancelled, not filled.
    const maker = core.order(hash(1))!;
    expect(maker.filled).toBe(0n);
    expect(maker.busted).toBe(ONE / 2n);
    expect(maker.status).toBe("open");
    const taker = core.order(hash(2))!;
    expect(taker.filled).toBe(0n);
    expect(taker.busted).toBe(ONE / 2n);
    expect(taker.status).toBe("cancelled");
    // The stream hears the orders' new state.
    const updates = cut.outputs.filter((o) => o.type === "order");
    expect(updates.map((o) => (o.type === "order" ? o.order.orderHash : ""))).toEqual(
      expect.arrayContaining([hash(1), hash(2)]),
    );
  });

  it("keeps a later fill's filled amount net of an earlier bust", () => {
    const core = coreWithMaker();
    take(core, EXPIRY - 100);
    core.apply({ kind: "cut", ms: at(EXPIRY - 99), maxFills: 100, commitBy: EXPIRY });
    const taker = orderRecord(3, A, 0, PRICE, ONE / 4n);
    taker.ms = at(EXPIRY - 98);
    expect(core.apply(taker).fills).toHaveLength(1);
    const maker = core.order(hash(1))!;
    expect(maker.filled).toBe(ONE / 4n);
    expect(maker.busted).toBe(ONE / 2n);
    expect(maker.status).toBe("partially_filled");
  });

  it("withdraws cut batches before their commit: audited fills busted, the rest re-cut under the same ids", () => {
    const { chain } = chainRecords();
    const core = coreWithMaker();
    const first = take(core, EXPIRY - 100).fills![0]!;
    core.apply({ kind: "cut", ms: at(EXPIRY - 99), maxFills: 100, commitBy: EXPIRY - 89 });
    const taker = orderRecord(3, A, 0, PRICE, ONE / 4n);
    taker.ms = at(EXPIRY - 98);
    const second = core.apply(taker).fills![0]!;
    core.apply({ kind: "cut", ms: at(EXPIRY - 97), maxFills: 100, commitBy: EXPIRY - 87 });
    expect(core.nextBatchId).toBe(3n);

    // A batch in the range that is committed already cannot be withdrawn.
    const committed = chain("BatchCommitted", { batchId: 1n, finalizableAt: 1n });
    if (committed.kind === "chain") committed.position = 1_000n; // after coreWithMaker's events
    core.apply(committed);
    expect(core.batch(1n)!.state).toBe("COMMITTED");
    const refusedRecut = core.apply({
      kind: "recut",
      ms: at(EXPIRY - 96),
      fromBatchId: 1n,
      bust: [],
      reason: "x",
    });
    expect(refusedRecut.error?.code).toBe("BAD_REQUEST");
    expect(core.nextBatchId).toBe(3n);

    const recut = core.apply({
      kind: "recut",
      ms: at(EXPIRY - 96),
      fromBatchId: 2n,
      bust: [second.fillId],
      reason: "self-audit: Expired",
    });
    expect(recut.outputs).toContainEqual({
      type: "recut",
      fromBatchId: 2n,
      toBatchId: 2n,
      reason: "self-audit: Expired",
    });
    expect(core.nextBatchId).toBe(2n);
    expect(core.batch(2n)).toBeUndefined();
    expect(core.fill(second.fillId)).toMatchObject({
      state: "ROLLED_BACK",
      bustReason: "self-audit: Expired",
    });
    expect(core.fill(first.fillId)!.state).toBe("COMMITTED");
    expect(core.order(hash(3))!.busted).toBe(ONE / 4n);
  });

  it("returns a withdrawn batch's unaudited fills to the next cut, which reuses its id", () => {
    const core = coreWithMaker();
    const fill = take(core, EXPIRY - 100).fills![0]!;
    core.apply({ kind: "cut", ms: at(EXPIRY - 99), maxFills: 100, commitBy: EXPIRY - 89 });
    core.apply({ kind: "recut", ms: at(EXPIRY - 98), fromBatchId: 1n, bust: [], reason: "r" });
    expect(core.fill(fill.fillId)!.state).toBe("MATCHED");
    expect(core.matchedCount).toBe(1);
    const cut = core.apply({
      kind: "cut",
      ms: at(EXPIRY - 97),
      maxFills: 100,
      commitBy: EXPIRY - 87,
    });
    const batchCut = cut.outputs.find((o) => o.type === "batchCut");
    expect(batchCut?.type === "batchCut" && batchCut.batch.batchId).toBe(1n);
    expect(core.fill(fill.fillId)).toMatchObject({ state: "BATCHED", batchId: 1n, index: 0 });
  });
});
