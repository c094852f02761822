/**
 * The shared fraud rules (`protocol/src/fraud-rules.ts`) and the batch audit (`audit-batch.ts`):
 * each FraudKind caught, the contract's order of checks, overlaps, and every finding of the
 * audit. `test/settlement/fraud-rules-agree.test.ts` proves the same kinds on the real contract.
 */
import { describe, expect, it } from "vitest";
import type { Address, Hex } from "viem";
import {
  type FillLeaf,
  type Order,
  FRAUD_KINDS,
  findFraud,
  fillsConflict,
  fraudKindCode,
  fraudKindName,
  onGrid,
  overlaps,
  quoteIsExact,
  sideOf,
  type CommitContext,
  type FraudKindName,
  type MarketRules,
} from "@clearmatch/protocol";
import {
  auditBatch,
  findConflicts,
  predictedCommitState,
  type PredictedCommitState,
} from "../src/settlement/audit-batch.js";

const ALICE = "0x00000000000000000000000000000000000a11ce" as Address;
const BOB = "0x0000000000000000000000000000000000000b0b" as Address;
const CAROL = "0x00000000000000000000000000000000000ca201" as Address;
const MAKER_HASH = `0x${"aa".repeat(32)}` as Hex;
const TAKER_HASH = `0x${"bb".repeat(32)}` as Hex;

const ONE_BASE = 10n ** 18n;
const TICK = 10_000n;
const LOT = 10n ** 14n;
const MARKET: MarketRules = { registered: true, tickSize: TICK, lotSize: LOT, baseDecimals: 18 };
const NOW = 1_800_000_000n;

/** alice sells 1 WETH at 2,000 USDC (maker); bob buys up to 1 WETH at 2,100 (taker). */
const maker: Order = {
  trader: ALICE,
  marketId: 1,
  side: 1,
  price: 2_000n * 10n ** 6n,
  amount: ONE_BASE,
  nonce: 5n,
  expiry: NOW + 3_600n,
  maxFeeBps: 30,
  flags: 0,
};
const taker: Order = { ...maker, trader: BOB, side: 0, price: 2_100n * 10n ** 6n };

function fillOf(over: Partial<FillLeaf> = {}): FillLeaf {
  const baseAmount = ONE_BASE / 2n;
  const quoteAmount = (baseAmount * maker.price) / ONE_BASE;
  return {
    batchId: 7n,
    index: 0,
    makerOrderHash: MAKER_HASH,
    takerOrderHash: TAKER_HASH,
    maker: ALICE,
    taker: BOB,
    marketId: 1,
    takerSide: 0,
    price: maker.price,
    baseAmount,
    quoteAmount,
    makerFee: quoteAmount / 1_000n,
    takerFee: quoteAmount / 1_000n,
    makerFilledAfter: baseAmount,
    takerFilledAfter: baseAmount,
    takerFok: false,
    fokRunEnd: false,
    ...over,
  };
}

const ctx = (over: Partial<CommitContext> = {}): CommitContext => ({
  committedAt: NOW,
  cancelledBeforeCommit: false,
  minNonceBeforeCommit: 0n,
  marketPausedAtCommit: false,
  market: MARKET,
  ...over,
});

/** One case per kind: a fraudulent fill of the taker (or maker) order and its context. */
const cases: {
  kind: FraudKindName;
  fill?: Partial<FillLeaf>;
  order?: Partial<Order>;
  isMaker?: boolean;
  ctx?: Partial<CommitContext>;
}[] = [
  { kind: "WrongTrader", fill: { taker: CAROL } },
  { kind: "WrongMarket", order: { marketId: 2 } },
  { kind: "WrongMarket", ctx: { market: { ...MARKET, registered: false } } },
  { kind: "WrongSide", isMaker: true, order: { side: 0 } },
  { kind: "WrongSide", fill: { takerSide: 2 } },
  { kind: "PriceWorseThanLimit", order: { price: 1_900n * 10n ** 6n } },
  {
    kind: "PriceWorseThanLimit",
    isMaker: true,
    fill: { price: 1_990n * 10n ** 6n, quoteAmount: 995n * 10n ** 6n },
  },
  { kind: "OverFilled", fill: { takerFilledAfter: ONE_BASE + LOT } },
  { kind: "OverFilled", fill: { takerFilledAfter: ONE_BASE / 4n } },
  { kind: "FeeAboveMax", fill: { takerFee: (1_000n * 10n ** 6n * 30n) / 10_000n + 1n } },
  { kind: "Expired", order: { expiry: NOW } },
  { kind: "Cancelled", ctx: { cancelledBeforeCommit: true } },
  { kind: "NonceInvalidated", ctx: { minNonceBeforeCommit: 6n } },
  { kind: "MarketPaused", ctx: { marketPausedAtCommit: true } },
  { kind: "BadQuoteAmount", fill: { quoteAmount: 1_000n * 10n ** 6n + 1n } },
  {
    kind: "OffTickOrLot",
    fill: {
      baseAmount: LOT / 2n,
      quoteAmount: 100_000n, // exact: 0.00005 WETH at 2,000 USDC
      takerFilledAfter: LOT / 2n,
      makerFilledAfter: LOT / 2n,
      takerFee: 0n,
      makerFee: 0n,
    },
  },
  { kind: "FlagsViolated", order: { flags: 4 } }, // a FOK order whose leaf does not say so
  { kind: "FlagsViolated", fill: { takerFok: true } }, // a leaf claiming FOK for a plain order
  { kind: "FokPartial", order: { flags: 4 }, fill: { takerFok: true, fokRunEnd: true } },
];

describe("fraud rules (FillLib.findFraud mirror)", () => {
  it("names the kinds in ISettlement.FraudKind order", () => {
    expect(FRAUD_KINDS).toHaveLength(16);
    expect(fraudKindCode("PriceWorseThanLimit")).toBe(0);
    expect(fraudKindCode("OffTickOrLot")).toBe(11);
    expect(fraudKindCode("MislabelledLeaf")).toBe(12);
    expect(fraudKindName(7)).toBe("Cancelled");
    expect(fraudKindCode("FlagsViolated")).toBe(14);
    expect(fraudKindCode("FokPartial")).toBe(15);
    expect(fraudKindName(16n)).toBeUndefined();
  });

  it("finds nothing in a valid fill, on either side", () => {
    expect(findFraud(fillOf(), maker, true, ctx())).toBeUndefined();
    expect(findFraud(fillOf(), taker, false, ctx())).toBeUndefined();
    // addresses compare as numbers: a checksummed copy is the same trader
    expect(
      findFraud(
        fillOf({ taker: BOB.toUpperCase().replace("0X", "0x") as Address }),
        taker,
        false,
        ctx(),
      ),
    ).toBeUndefined();
  });

  for (const c of cases) {
    it(`catches ${c.kind} (${JSON.stringify({ ...c, kind: undefined }, (_, v) => (typeof v === "bigint" ? `${v}` : v))})`, () => {
      const isMaker = c.isMaker ?? false;
      const order = { ...(isMaker ? maker : taker), ...c.order };
      expect(findFraud(fillOf(c.fill), order, isMaker, ctx(c.ctx))).toBe(c.kind);
    });
  }

  it("reports the first fraud in the contract's order when a fill has several", () => {
    const fill = fillOf({ takerFilledAfter: 2n * ONE_BASE, taker: BOB });
    const order = { ...taker, price: 1_900n * 10n ** 6n, expiry: NOW - 1n };
    expect(findFraud(fill, order, false, ctx({ marketPausedAtCommit: true }))).toBe(
      "PriceWorseThanLimit",
    );
    expect(findFraud(fillOf({ taker: CAROL }), { ...taker, marketId: 2 }, false, ctx())).toBe(
      "WrongTrader",
    );
    expect(
      findFraud(
        fillOf(),
        taker,
        false,
        ctx({ cancelledBeforeCommit: true, minNonceBeforeCommit: 9n }),
      ),
    ).toBe("Cancelled");
  });

  it("treats expiry as exclusive and the fee cap as inclusive", () => {
    expect(findFraud(fillOf(), { ...taker, expiry: NOW + 1n }, false, ctx())).toBeUndefined();
    const atCap = (1_000n * 10n ** 6n * 30n) / 10_000n;
    expect(findFraud(fillOf({ takerFee: atCap }), taker, false, ctx())).toBeUndefined();
    expect(
      findFraud(fillOf(), { ...taker, nonce: 6n }, false, ctx({ minNonceBeforeCommit: 6n })),
    ).toBeUndefined();
  });

  it("mirrors sideOf for a malformed takerSide", () => {
    expect(sideOf(fillOf({ takerSide: 3 }), true).side).toBe(2);
    expect(sideOf(fillOf({ takerSide: 3 }), false).side).toBe(3);
    expect(sideOf(fillOf({ takerSide: 1 }), true).side).toBe(0);
  });

  it("mirrors MarketLib.quoteIsExact and onGrid", () => {
    expect(quoteIsExact(MARKET, ONE_BASE / 2n, 2_000n * 10n ** 6n, 1_000n * 10n ** 6n)).toBe(true);
    expect(quoteIsExact(MARKET, 1n, 1n, 0n)).toBe(false); // remainder
    expect(quoteIsExact(MARKET, ONE_BASE, 5n, 4n)).toBe(false);
    expect(onGrid(MARKET, TICK * 3n, LOT * 7n)).toBe(true);
    expect(onGrid(MARKET, TICK * 3n + 1n, LOT)).toBe(false);
    expect(onGrid(MARKET, TICK, LOT + 1n)).toBe(false);
  });

  it("mirrors FillLib.overlaps", () => {
    expect(overlaps(5n, 5n, 5n, 10n)).toBe(false); // [0,5) and [5,10)
    expect(overlaps(5n, 5n, 5n, 5n)).toBe(true);
    expect(overlaps(5n, 6n, 5n, 10n)).toBe(true); // [1,6) and [5,10)
    expect(overlaps(0n, 5n, 5n, 5n)).toBe(false); // empty fill
    expect(overlaps(10n, 3n, 2n, 2n)).toBe(true); // clamped [0,3) and [0,2)
    expect(overlaps(10n, 0n, 2n, 2n)).toBe(false); // clamped to [0,0): empty
  });

  it("finds conflicting fills of one order, never a leaf with itself", () => {
    const a = fillOf({ makerFilledAfter: ONE_BASE / 2n });
    const b = fillOf({
      index: 1,
      takerOrderHash: `0x${"cc".repeat(32)}`,
      makerFilledAfter: ONE_BASE / 2n,
    });
    expect(fillsConflict(a, true, b, true)).toBe(true);
    expect(fillsConflict(a, true, { ...b, makerFilledAfter: ONE_BASE }, true)).toBe(false);
    expect(fillsConflict(a, true, a, true)).toBe(false);
    expect(fillsConflict(a, true, b, false)).toBe(false); // different orders
    // the same order as taker in one fill and maker in another (it rested after taking)
    const rested = fillOf({
      index: 2,
      makerOrderHash: TAKER_HASH,
      takerOrderHash: MAKER_HASH,
      takerSide: 1,
      makerFilledAfter: ONE_BASE / 2n,
    });
    expect(fillsConflict(a, false, rested, true)).toBe(true);
  });
});

describe("auditBatch", () => {
  const orders = new Map<string, Order>([
    [MAKER_HASH, maker],
    [TAKER_HASH, taker],
  ]);
  const state = (
    over: Partial<Parameters<typeof predictedCommitState>[0]> = {},
  ): PredictedCommitState =>
    predictedCommitState({ committedAt: NOW, markets: [[1, MARKET]], ...over });

  it("passes a valid batch", () => {
    const audit = auditBatch({ batchId: 7n, leaves: [fillOf()], orders, commit: state() });
    expect(audit).toEqual({ faults: [], conflicts: [], leafFaults: [], clean: true });
  });

  it("reports each provable side with its kind", () => {
    const leaves = [
      fillOf(),
      fillOf({
        index: 1,
        takerFee: 10n ** 9n,
        makerFilledAfter: ONE_BASE,
        takerFilledAfter: ONE_BASE,
        takerFok: false,
        fokRunEnd: false,
      }),
    ];
    const audit = auditBatch({ batchId: 7n, leaves, orders, commit: state() });
    expect(audit.clean).toBe(false);
    expect(audit.faults).toEqual([
      {
        fillIndex: 1,
        batchId: 7n,
        index: 1,
        orderHash: TAKER_HASH,
        side: "taker",
        kind: "FeeAboveMax",
        provable: true,
      },
    ]);
  });

  it("judges time, cancels, nonces, pauses and markets by the predicted commit state", () => {
    const leaves = [fillOf()];
    const kinds = (s: PredictedCommitState) =>
      auditBatch({ batchId: 7n, leaves, orders, commit: s }).faults.map(
        (f) => `${f.side}:${f.kind}`,
      );
    expect(kinds(state({ committedAt: maker.expiry }))).toEqual(["maker:Expired", "taker:Expired"]);
    expect(kinds(state({ cancelled: [TAKER_HASH.toUpperCase().replace("0X", "0x")] }))).toEqual([
      "taker:Cancelled",
    ]);
    expect(kinds(state({ nonceFloors: [[ALICE.toUpperCase().replace("0X", "0x"), 6n]] }))).toEqual([
      "maker:NonceInvalidated",
    ]);
    expect(kinds(state({ pausedMarkets: [1] }))).toEqual([
      "maker:MarketPaused",
      "taker:MarketPaused",
    ]);
    expect(kinds(state({ markets: [] }))).toEqual(["maker:WrongMarket", "taker:WrongMarket"]);
  });

  it("reports an order it does not have, or one under another hash, as not provable", () => {
    const audit = auditBatch({
      batchId: 7n,
      leaves: [fillOf()],
      orders: (h) => (h === MAKER_HASH ? maker : undefined),
      commit: state(),
    });
    expect(audit.faults).toEqual([
      {
        fillIndex: 0,
        batchId: 7n,
        index: 0,
        orderHash: TAKER_HASH,
        side: "taker",
        kind: "ORDER_UNKNOWN",
        provable: false,
      },
    ]);
    const hashed = auditBatch({
      batchId: 7n,
      leaves: [fillOf()],
      orders,
      commit: state(),
      hashOrder: (o) => (o === maker ? MAKER_HASH : (`0x${"dd".repeat(32)}` as Hex)),
    });
    expect(hashed.faults.map((f) => `${f.side}:${f.kind}`)).toEqual(["taker:ORDER_HASH_MISMATCH"]);
  });

  it("reports conflicting cumulative amounts within the batch and against earlier batches", () => {
    const other = `0x${"cc".repeat(32)}` as Hex;
    const orders2 = new Map(orders).set(other, { ...taker, nonce: 2n });
    const second = fillOf({ index: 1, takerOrderHash: other }); // claims the maker's [0, 0.5) again
    const within = auditBatch({
      batchId: 7n,
      leaves: [fillOf(), second],
      orders: orders2,
      commit: state(),
    });
    expect(within.faults).toEqual([]);
    expect(within.conflicts).toEqual([
      {
        kind: "ConflictingFills",
        orderHash: MAKER_HASH,
        a: { batchId: 7n, index: 0, side: "maker", fillIndex: 0 },
        b: { batchId: 7n, index: 1, side: "maker", fillIndex: 1 },
        laterBatchId: 7n,
      },
    ]);
    const prior = fillOf({ batchId: 6n, takerOrderHash: other });
    const across = auditBatch({
      batchId: 7n,
      leaves: [fillOf()],
      orders: orders2,
      commit: state(),
      priorLeaves: [prior],
    });
    expect(across.conflicts).toEqual([
      {
        kind: "ConflictingFills",
        orderHash: MAKER_HASH,
        a: { batchId: 6n, index: 0, side: "maker" },
        b: { batchId: 7n, index: 0, side: "maker", fillIndex: 0 },
        laterBatchId: 7n,
      },
    ]);
    // the next part of the order does not conflict; nor do two prior leaves with each other
    const next = fillOf({ makerFilledAfter: ONE_BASE });
    expect(
      auditBatch({
        batchId: 7n,
        leaves: [next],
        orders: orders2,
        commit: state(),
        priorLeaves: [prior],
      }).clean,
    ).toBe(true);
    expect(findConflicts([], [prior, { ...prior, index: 1 }])).toEqual([]);
    expect(findConflicts([prior, { ...prior, index: 1 }])).toHaveLength(2); // maker and taker orders
  });

  it("reports leaves not bound to their batch and position", () => {
    const leaves = [
      fillOf({ batchId: 8n }),
      fillOf({ index: 0, makerFilledAfter: ONE_BASE, takerFilledAfter: ONE_BASE }),
      fillOf({ index: 5, makerFilledAfter: ONE_BASE, takerFilledAfter: ONE_BASE }),
    ];
    const audit = auditBatch({ batchId: 7n, leaves, orders, commit: state() });
    expect(audit.leafFaults.map((f) => [f.fillIndex, f.kind])).toEqual([
      [0, "BATCH_ID_MISMATCH"],
      [1, "INDEX_MISMATCH"],
      [2, "INDEX_BEYOND_FILL_COUNT"],
    ]);
    expect(audit.clean).toBe(false);
  });
});
