import { describe, expect, it } from "vitest";
import type { Address } from "viem";
import { SeededRandom } from "./support/seeded-random.js";
import { ExchangeCore } from "../src/core/exchange-core.js";
import type { ServiceRecord } from "../src/core/service-record.js";
import {
  FEE,
  T0,
  USDC,
  WETH,
  chainRecords,
  hash,
  initRecord,
  orderRecord,
} from "./helpers/core-records.js";
import {
  fromTagged,
  fromTaggedJson,
  serviceRecordCodec,
  toTagged,
  toTaggedJson,
} from "../src/core/service-record.js";

const A = "0x000000000000000000000000000000000000000a" as Address;
const B = "0x000000000000000000000000000000000000000b" as Address;
const { chain, market, reset } = chainRecords();
const order = orderRecord;

function script(): ServiceRecord[] {
  reset();
  return [
    initRecord(),
    market(),
    chain("Deposited", { account: A, token: USDC, amount: 10_000n * 10n ** 6n }),
    chain("Deposited", { account: B, token: WETH, amount: 5n * 10n ** 18n }),
    order(1, B, 1, 2_000n * 10n ** 6n, 10n ** 18n),
    order(2, A, 0, 2_000n * 10n ** 6n, 10n ** 18n / 2n),
    { kind: "cut", ms: T0 + 10, maxFills: 100 },
    order(3, A, 0, 2_000n * 10n ** 6n, 10n ** 18n / 2n),
    { kind: "cut", ms: T0 + 20, maxFills: 100 },
    chain("BatchCommitted", { batchId: 1n, finalizableAt: 1n }),
    chain("BatchCommitted", { batchId: 2n, finalizableAt: 1n }),
    chain("FraudProven", { batchId: 1n, orderHash: hash(2), kind: 0 }),
    chain("BatchesRolledBack", { fromBatchId: 1n, toBatchId: 2n, reason: 0 }),
    { kind: "cut", ms: T0 + 30, maxFills: 100 },
  ];
}

describe("exchange core", () => {
  it("refuses new orders while the settlement contract is paused, and accepts them again after", () => {
    const core = new ExchangeCore();
    for (const r of script().slice(0, 4)) core.apply(r);
    core.apply(chain("Paused", { account: FEE }));
    const before = JSON.stringify(core.snapshot());
    expect(core.apply(order(30, B, 1, 2_000n * 10n ** 6n, 10n ** 18n)).error?.code).toBe(
      "SETTLEMENT_PAUSED",
    );
    expect(JSON.stringify(core.snapshot())).toBe(before);
    core.apply(chain("Unpaused", { account: FEE }));
    expect(core.apply(order(30, B, 1, 2_000n * 10n ** 6n, 10n ** 18n)).error).toBeUndefined();
  });

  it("cuts before a batch's fills touch more (account, token) pairs than maxDeltas, deterministically", () => {
    const C = "0x000000000000000000000000000000000000000c" as Address;
    const records: ServiceRecord[] = [
      ...script().slice(0, 4),
      chain("Deposited", { account: C, token: USDC, amount: 10_000n * 10n ** 6n }),
      order(1, B, 1, 2_000n * 10n ** 6n, 10n ** 18n),
      order(2, A, 0, 2_000n * 10n ** 6n, 10n ** 18n / 2n), // fill 1: A, B and the fee recipient (5 pairs)
      order(3, C, 0, 2_000n * 10n ** 6n, 10n ** 18n / 4n), // fill 2: adds C's base and quote (7)
      { kind: "cut", ms: T0 + 10, maxFills: 100, maxDeltas: 6 },
      { kind: "cut", ms: T0 + 20, maxFills: 100, maxDeltas: 6 },
    ];
    const run = () => {
      const core = new ExchangeCore();
      return records.map((r) => core.apply(r).outputs.find((o) => o.type === "batchCut"));
    };
    const cuts = run().filter((o) => o !== undefined);
    expect(cuts.map((c) => c.type === "batchCut" && c.batch.fillIds.length)).toEqual([1, 1]);
    const json = (x: unknown) =>
      JSON.stringify(x, (_k, v) => (typeof v === "bigint" ? v.toString() : v));
    expect(json(run())).toBe(json(run())); // a replay cuts the same batches
    // Without the limit (a journal written before it), both fills go in one batch, as they did.
    const old = new ExchangeCore();
    const outs = records
      .map((r) => (r.kind === "cut" ? { kind: "cut" as const, ms: r.ms, maxFills: 100 } : r))
      .map((r) => old.apply(r).outputs.find((o) => o.type === "batchCut"))
      .filter((o) => o !== undefined);
    expect(outs.map((c) => c.type === "batchCut" && c.batch.fillIds.length)).toEqual([2]);
  });

  it("keeps a fill-or-kill order's fills in one batch, and busts them all if one is invalid at commit", () => {
    const C = "0x000000000000000000000000000000000000000c" as Address;
    const fok = (n: number, trader: Address, amount: bigint): ServiceRecord => {
      const r = order(n, trader, 0, 2_000n * 10n ** 6n, amount);
      if (r.kind === "order") r.order = { ...r.order, flags: 4 };
      return r;
    };
    const start: ServiceRecord[] = [
      ...script().slice(0, 4),
      chain("Deposited", { account: C, token: USDC, amount: 10_000n * 10n ** 6n }),
      order(1, B, 1, 2_000n * 10n ** 6n, 10n ** 18n / 4n), // three resting asks of 0.25
      order(2, B, 1, 2_000n * 10n ** 6n, 10n ** 18n / 4n),
      order(3, B, 1, 2_000n * 10n ** 6n, 10n ** 18n / 4n),
      order(4, C, 0, 2_000n * 10n ** 6n, 10n ** 18n / 4n), // fill 1: C takes ask 1
      fok(5, A, 10n ** 18n / 2n), // fills 2 and 3: one FOK run, asks 2 and 3
    ];
    // Two fills a batch: the cut would split the FOK run; it waits whole for the next batch.
    const core = new ExchangeCore();
    for (const r of start) core.apply(r);
    const leavesOf = (r: ServiceRecord) =>
      core.apply(r).outputs.flatMap((o) => (o.type === "batchCut" ? [o.leaves] : []));
    const [first] = leavesOf({ kind: "cut", ms: T0 + 10, maxFills: 2 });
    const [second] = leavesOf({ kind: "cut", ms: T0 + 20, maxFills: 2 });
    expect(first!.map((l) => [l.takerOrderHash, l.takerFok, l.fokRunEnd])).toEqual([
      [hash(4), false, false],
    ]);
    expect(second!.map((l) => [l.takerOrderHash, l.takerFok, l.fokRunEnd])).toEqual([
      [hash(5), true, false],
      [hash(5), true, true],
    ]);
    expect(second!.map((l) => l.takerFilledAfter)).toEqual([10n ** 18n / 4n, 10n ** 18n / 2n]);

    // A run longer than a whole batch can never settle whole: it is killed, not split.
    const long = new ExchangeCore();
    for (const r of start) long.apply(r);
    const killed = long.apply({ kind: "cut", ms: T0 + 10, maxFills: 1 }).outputs;
    expect(killed.flatMap((o) => (o.type === "batchCut" ? [o.batch.fillIds.length] : []))).toEqual([
      1,
    ]);
    const next = long.apply({ kind: "cut", ms: T0 + 20, maxFills: 1 }).outputs;
    expect(next.flatMap((o) => (o.type === "bust" ? [o.fill.fill.takerOrderHash] : []))).toEqual([
      hash(5),
      hash(5),
    ]);
    expect(next.some((o) => o.type === "batchCut")).toBe(false);

    // One maker of the run cancelled on-chain before the cut: the whole run is busted.
    const again = new ExchangeCore();
    for (const r of start) again.apply(r);
    again.apply(chain("OrderCancelled", { trader: B, orderHash: hash(3) }));
    const outputs = again.apply({ kind: "cut", ms: T0 + 10, maxFills: 10 }).outputs;
    const busted = outputs.flatMap((o) => (o.type === "bust" ? [o.fill.fill.takerOrderHash] : []));
    expect(busted).toEqual([hash(5), hash(5)]);
    const cut = outputs.find((o) => o.type === "batchCut");
    expect(cut?.type === "batchCut" && cut.leaves.map((l) => l.takerOrderHash)).toEqual([hash(4)]);
  });

  it("reserves a withdrawal request as seen, replaces it, and releases it when the trader cancels it", () => {
    const core = new ExchangeCore();
    for (const r of script().slice(0, 4)) core.apply(r);
    const deposited = 10_000n * 10n ** 6n;
    core.apply(
      chain("WithdrawalRequested", { account: A, token: USDC, amount: 4_000n, executableAt: 1n }),
    );
    core.apply(
      chain("WithdrawalRequested", { account: A, token: USDC, amount: 6_000n, executableAt: 2n }),
    );
    expect(core.ledger.balance(A, USDC)).toMatchObject({
      withdrawalRequested: 6_000n,
      available: deposited - 6_000n,
    });
    core.apply(chain("WithdrawalCancelled", { account: A, token: USDC }));
    expect(core.ledger.balance(A, USDC)).toMatchObject({
      withdrawalRequested: 0n,
      available: deposited,
    });
    // A later withdrawal finds no request left to consume.
    core.apply(
      chain("WithdrawalRequested", { account: A, token: USDC, amount: 1_000n, executableAt: 3n }),
    );
    core.apply(chain("Withdrawn", { account: A, token: USDC, amount: 1_000n }));
    expect(core.ledger.balance(A, USDC)).toMatchObject({
      withdrawalRequested: 0n,
      available: deposited - 1_000n,
    });
  });

  it("accepts an order only with more than the expiry margin left, and retires it that early", () => {
    const core = new ExchangeCore();
    for (const r of script().slice(0, 4)) core.apply(r);
    expect(core.expiryMarginSec).toBe(30);
    const nowSec = BigInt(Math.floor(T0 / 1000));
    const withExpiry = (n: number, trader: Address, side: number, expiry: bigint) => {
      const r = order(n, trader, side, 2_000n * 10n ** 6n, 10n ** 18n) as ServiceRecord & {
        kind: "order";
      };
      return { ...r, ms: T0, order: { ...r.order, expiry } };
    };
    const tooSoon = core.apply(withExpiry(20, B, 1, nowSec + 30n));
    expect(tooSoon.error?.code).toBe("ORDER_EXPIRED");
    expect(tooSoon.error?.details).toEqual({ minExpiry: (nowSec + 31n).toString() });
    // Rests with 40 s of life: it trades for 10 s, then no more (30 s before its signed expiry).
    const takerAt = (ms: number) => {
      const c = new ExchangeCore();
      for (const r of script().slice(0, 4)) c.apply(r);
      expect(c.apply(withExpiry(21, B, 1, nowSec + 40n)).error).toBeUndefined();
      const taker = c.apply({ ...withExpiry(22, A, 0, nowSec + 3600n), ms });
      expect(taker.error).toBeUndefined();
      return taker.outputs.filter((o) => o.type === "fill").length;
    };
    expect(takerAt(T0 + 9_000)).toBe(1);
    expect(takerAt(T0 + 10_000)).toBe(0);
  });

  it("refuses without mutating, matches, cuts, and busts only the proven order's fills on rollback", () => {
    const core = new ExchangeCore();
    const records = script();
    for (const r of records.slice(0, 4)) core.apply(r);
    const before = JSON.stringify(core.snapshot());
    const poor = core.apply(order(9, A, 0, 2_000n * 10n ** 6n, 10n ** 19n));
    expect(poor.error?.code).toBe("INSUFFICIENT_BALANCE");
    expect(core.apply(order(8, A, 0, 2_000n * 10n ** 6n + 1n, 10n ** 15n)).error?.code).toBe(
      "TICK_VIOLATION",
    );
    expect(JSON.stringify(core.snapshot())).toBe(before);
    const outputs = records.slice(4).map((r) => core.apply(r));
    expect(core.apply(records[4]!).created).toBe(false);
    expect(outputs[2]!.outputs.find((o) => o.type === "batchCut")).toBeDefined();
    const busts = outputs[8]!.outputs.filter((o) => o.type === "bust");
    expect(busts.map((b) => b.type === "bust" && b.fill.fillId)).toEqual([1]);
    const recut = outputs[9]!.outputs.find((o) => o.type === "batchCut");
    expect(recut?.type === "batchCut" && recut.batch.batchId).toBe(3n);
    expect(recut?.type === "batchCut" && recut.batch.fillIds).toEqual([2]);
    core.ledger.checkInvariants();
    // A's USDC: the busted fill's pending debit is gone, the re-batched one remains.
    expect(core.ledger.balance(A, USDC).pending).toBe(-(1_000n * 10n ** 6n + 1_000_000n));
  });

  it("replays a journal and restores a snapshot to the same state, byte for byte", () => {
    const live = new ExchangeCore();
    const records = script();
    for (const r of records) live.apply(r);
    const replayed = new ExchangeCore();
    for (const r of records) {
      const buf = Buffer.alloc(serviceRecordCodec.bound(r));
      const end = serviceRecordCodec.encode(r, buf, 0);
      replayed.apply(serviceRecordCodec.decode(buf, 0, end));
    }
    const snap = JSON.stringify(live.snapshot());
    expect(JSON.stringify(replayed.snapshot())).toBe(snap);
    const restored = ExchangeCore.restore(JSON.parse(snap));
    expect(JSON.stringify(restored.snapshot())).toBe(snap);
    expect(fromTaggedJson(toTaggedJson({ x: 1n }))).toEqual({ x: 1n });
    const value = { x: 1n, list: [2n, { y: -3n, z: "n" }, null, 4], deep: { $big: "5" } };
    expect(toTagged(value)).toEqual(JSON.parse(toTaggedJson(value)));
    expect(fromTagged(toTagged(value))).toEqual(value);
    expect(fromTagged(JSON.parse(toTaggedJson(value)))).toEqual(value);
    const tagged = toTagged(value);
    fromTagged(tagged);
    expect(tagged).toEqual(JSON.parse(toTaggedJson(value)));
  });

  it("decodes tagged JSON exactly as JSON.parse with a bigint reviver does", () => {
    // The reviver fromTaggedJson used to be: every object with a $bigint key becomes BigInt of it.
    const reviver = (_: string, v: unknown) =>
      v !== null && typeof v === "object" && "$bigint" in v
        ? BigInt((v as { $bigint: string }).$bigint)
        : v;
    const rng = new SeededRandom(5);
    const leaf = (): unknown =>
      [
        () => ({ $bigint: String(rng.below(1e9)) + "000000000000" }),
        () => ({ $bigint: "-7", note: "extra keys too" }),
        () => rng.below(1000),
        () => "0x" + "ab".repeat(20),
        () => null,
      ][rng.below(5)]!();
    const random = (depth: number): unknown => {
      if (depth > 3 || rng.below(3) === 0) return leaf();
      if (rng.below(2) === 0) return Array.from({ length: rng.below(5) }, () => random(depth + 1));
      const o: Record<string, unknown> = {};
      for (let k = rng.below(5); k > 0; k--) o[`k${rng.below(9)}`] = random(depth + 1);
      return o;
    };
    const texts = [
      '{"__proto__":{"$bigint":"1"},"a":{"__proto__":{"x":1}}}',
      '[{"$bigint":"2"},[[{"$bigint":"3"}]],{"$bigint":"4","$other":{"$bigint":"5"}}]',
      ...Array.from({ length: 300 }, () => JSON.stringify(random(0))),
    ];
    for (const text of texts) {
      const want: unknown = JSON.parse(text, reviver);
      const got = fromTaggedJson<unknown>(text);
      expect(got, text).toEqual(want);
      // Own keys and their order too (toEqual does not see a "__proto__" own property's order).
      expect(JSON.stringify(got, (_k, v: unknown) => (typeof v === "bigint" ? `n${v}` : v))).toBe(
        JSON.stringify(want, (_k, v: unknown) => (typeof v === "bigint" ? `n${v}` : v)),
      );
    }
    const proto = fromTaggedJson<Record<string, unknown>>('{"__proto__":{"$bigint":"1"}}');
    expect(Object.getPrototypeOf(proto)).toBe(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(proto, "__proto__")?.value).toBe(1n);
  });
});
