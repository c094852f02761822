/**
 * Kill switch and market halts are journaled service records applied by the exchange core:
 * replaying the journal (records through the journal codec) and restoring a snapshot both
 * rebuild them, so an operator's lock survives a restart.
 */
import { describe, expect, it } from "vitest";
import type { Address } from "viem";
import { ExchangeCore } from "../src/core/exchange-core.js";
import { serviceRecordCodec, type ServiceRecord } from "../src/core/service-record.js";
import {
  T0,
  USDC,
  WETH,
  chainRecords,
  hash,
  initRecord,
  orderRecord,
  sig,
} from "./helpers/core-records.js";

const A = "0x000000000000000000000000000000000000000a" as Address;
const B = "0x000000000000000000000000000000000000000b" as Address;
const PRICE = 2_000n * 10n ** 6n;
const { chain, market, reset } = chainRecords();
const order = (n: number, trader: Address, side: number, marketId = 1): ServiceRecord =>
  orderRecord(n, trader, side, PRICE, 10n ** 17n, marketId);

function setup(): ServiceRecord[] {
  reset();
  return [
    initRecord(),
    market(1),
    market(2),
    chain("Deposited", { account: A, token: USDC, amount: 10_000n * 10n ** 6n }),
    chain("Deposited", { account: B, token: WETH, amount: 5n * 10n ** 18n }),
  ];
}

/** Applies `records` to `core` through the journal codec (what replay reads back). */
function replay(records: ServiceRecord[], core = new ExchangeCore()): ExchangeCore {
  for (const r of records) {
    const buf = Buffer.alloc(serviceRecordCodec.bound(r));
    const end = serviceRecordCodec.encode(r, buf, 0);
    core.apply(serviceRecordCodec.decode(buf, 0, end));
  }
  return core;
}

const codeOf = (core: ExchangeCore, r: ServiceRecord) => core.apply(r).error?.code;

describe("exchange core: kill switch and market halts", () => {
  it("refuses new orders while the kill switch is engaged, and accepts them once released", () => {
    const core = replay(setup());
    expect(core.apply({ kind: "killSwitch", ms: T0 + 1, engaged: true, reason: "drill" })).toEqual({
      outputs: [],
      mutated: true,
    });
    const refused = core.apply(order(10, B, 1));
    expect(refused.mutated).toBe(false);
    expect(refused.error?.code).toBe("KILL_SWITCH");
    expect(refused.error?.details).toEqual({ reason: "drill", since: T0 + 1 });
    expect(core.killSwitch).toEqual({ engaged: true, reason: "drill", since: T0 + 1 });
    // Engaging again with the same reason changes nothing (and is not journaled).
    expect(core.apply({ kind: "killSwitch", ms: T0 + 2, engaged: true, reason: "drill" })).toEqual({
      outputs: [],
      mutated: false,
    });
    expect(core.apply({ kind: "killSwitch", ms: T0 + 3, engaged: false }).mutated).toBe(true);
    expect(core.killSwitch).toEqual({ engaged: false, since: T0 + 3 });
    expect(core.apply(order(11, B, 1)).error).toBeUndefined();
    expect(core.order(hash(11))?.status).toBe("open");
  });

  it("halts one market (cancel-only), keeps the first halt's cause, and resumes it", () => {
    const core = replay(setup());
    core.apply(order(1, B, 1));
    const halt: ServiceRecord = {
      kind: "halt",
      ms: T0 + 5,
      marketId: 1,
      cause: "circuit_breaker",
      fromPrice: PRICE,
      toPrice: 2_100n * 10n ** 6n,
    };
    expect(core.apply(halt).mutated).toBe(true);
    expect(
      core.apply({ kind: "halt", ms: T0 + 6, marketId: 1, cause: "operator", reason: "x" }).mutated,
    ).toBe(false);
    expect(core.halt(1)).toEqual({
      marketId: 1,
      cause: "circuit_breaker",
      since: T0 + 5,
      fromPrice: PRICE,
      toPrice: 2_100n * 10n ** 6n,
    });
    const refused = core.apply(order(2, A, 0));
    expect(refused.error?.code).toBe("MARKET_HALTED");
    expect(refused.error?.details).toMatchObject({ marketId: 1, cause: "circuit_breaker" });
    expect(core.order(hash(2))).toBeUndefined();
    // Another market trades on; cancels in the halted one are still accepted.
    expect(core.apply(order(3, B, 1, 2)).error).toBeUndefined();
    expect(
      core.apply({ kind: "cancel", ms: T0 + 7, orderHash: hash(1), signature: sig }).error,
    ).toBeUndefined();
    expect(core.order(hash(1))?.status).toBe("cancelled");
    expect(core.apply({ kind: "resume", ms: T0 + 8, marketId: 1 }).mutated).toBe(true);
    expect(core.apply({ kind: "resume", ms: T0 + 9, marketId: 1 }).mutated).toBe(false);
    expect(core.halt(1)).toBeUndefined();
    expect(core.apply(order(4, A, 0)).error).toBeUndefined();
  });

  it("refuses to halt or resume an unknown market", () => {
    const core = replay(setup());
    expect(codeOf(core, { kind: "halt", ms: T0, marketId: 9, cause: "operator" })).toBe(
      "UNKNOWN_MARKET",
    );
    expect(codeOf(core, { kind: "resume", ms: T0, marketId: 9 })).toBe("UNKNOWN_MARKET");
  });

  it("rebuilds the kill switch and halts by journal replay and from a snapshot", () => {
    const records: ServiceRecord[] = [
      ...setup(),
      { kind: "killSwitch", ms: T0 + 1, engaged: true, reason: "incident" },
      { kind: "halt", ms: T0 + 2, marketId: 1, cause: "operator", reason: "maintenance" },
      { kind: "halt", ms: T0 + 3, marketId: 2, cause: "operator" },
      { kind: "resume", ms: T0 + 4, marketId: 2 },
    ];
    const live = new ExchangeCore();
    for (const r of records) live.apply(r);
    const replayed = replay(records);
    const restored = ExchangeCore.restore(JSON.parse(JSON.stringify(live.snapshot())));
    for (const core of [replayed, restored]) {
      expect(core.killSwitch).toEqual({ engaged: true, reason: "incident", since: T0 + 1 });
      expect(core.haltedMarkets()).toEqual([
        { marketId: 1, cause: "operator", since: T0 + 2, reason: "maintenance" },
      ]);
      expect(codeOf(core, order(20, B, 1))).toBe("KILL_SWITCH");
      expect(core.snapshot().state).toEqual(live.snapshot().state);
    }
    // Releasing after the restart: market 1 is still halted, market 2 trades.
    for (const core of [replayed, restored]) {
      core.apply({ kind: "killSwitch", ms: T0 + 5, engaged: false });
      expect(codeOf(core, order(21, B, 1))).toBe("MARKET_HALTED");
      expect(codeOf(core, order(22, B, 1, 2))).toBeUndefined();
    }
  });

  it("restores a snapshot taken before halts were journaled (no kill switch, no halts)", () => {
    const live = replay(setup());
    const snap = live.snapshot();
    // The older format too: the state as one string of tagged JSON.
    const state = JSON.parse(JSON.stringify(snap.state)) as Record<string, unknown>;
    delete state["killSwitch"];
    delete state["halts"];
    const restored = ExchangeCore.restore({ ...snap, state: JSON.stringify(state) });
    expect(restored.killSwitch).toEqual({ engaged: false });
    expect(restored.haltedMarkets()).toEqual([]);
    expect(codeOf(restored, order(30, B, 1))).toBeUndefined();
  });
});
