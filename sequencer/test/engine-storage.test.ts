import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { fullMix, generateStream, rng } from "../bench/order-stream.js";
import { EV_FILL, EV_FILLED, EV_LEVEL, EV_RESTED } from "../src/engine/event-buffer.js";
import { formatEvent } from "../src/engine/event-format.js";
import { ExpiryQueue } from "../src/engine/expiry-queue.js";
import { MatchingEngine } from "../src/engine/matching-engine.js";
import { OrderIndex } from "../src/engine/order-index.js";
import type { EngineInput, Hex32 } from "../src/engine/types.js";
import { ETH, USDC, market, newEngine, nextHash, order, place } from "./engine-fixtures.js";

const randomHash = (rand: () => number): Hex32 => {
  let s = "0x";
  for (let i = 0; i < 8; i++) {
    s += Math.floor(rand() * 2 ** 32)
      .toString(16)
      .padStart(8, "0");
  }
  return s as Hex32;
};

describe("engine storage: order index", () => {
  it("agrees with a Map through inserts, lookups and removals, across growth", () => {
    const rand = rng(11);
    const index = new OrderIndex(16);
    const model = new Map<string, number>();
    const hashes: Array<string | undefined> = [];
    const free: number[] = [];
    const keys: string[] = [];
    for (let step = 0; step < 30_000; step++) {
      const r = rand();
      if (r < 0.55 || keys.length === 0) {
        const h = randomHash(rand);
        expect(index.parse(h)).toBe(true);
        expect(index.find(hashes)).toBe(-1);
        const slot = free.pop() ?? hashes.length;
        hashes[slot] = h;
        index.insert(slot);
        model.set(h, slot);
        keys.push(h);
      } else if (r < 0.8) {
        // Remove a random key (backward-shift deletion must keep every other key reachable).
        const i = Math.floor(rand() * keys.length);
        const h = keys[i]!;
        keys[i] = keys[keys.length - 1]!;
        keys.pop();
        index.parse(h);
        index.remove(hashes);
        const slot = model.get(h)!;
        model.delete(h);
        hashes[slot] = undefined;
        free.push(slot);
      } else {
        const h = keys[Math.floor(rand() * keys.length)]!;
        index.parse(h);
        expect(index.find(hashes)).toBe(model.get(h));
      }
    }
    expect(index.size).toBe(model.size);
    for (const [h, slot] of model) {
      index.parse(h);
      expect(index.find(hashes)).toBe(slot);
    }
  });

  it("tells keys that differ only outside the fingerprinted digits apart", () => {
    const index = new OrderIndex(16);
    const tail = "0123456789abcdef";
    const a = `0x${"1".repeat(48)}${tail}`;
    const b = `0x${"2".repeat(48)}${tail}`;
    const hashes = [a];
    index.parse(a);
    index.insert(0);
    index.parse(b);
    expect(index.find(hashes)).toBe(-1);
    hashes.push(b);
    index.insert(1);
    expect(index.find(hashes)).toBe(1);
    index.parse(a);
    expect(index.find(hashes)).toBe(0);
  });

  it("refuses strings that cannot be order hashes", () => {
    const index = new OrderIndex();
    const good = `0x${"ab".repeat(32)}`;
    expect(index.parse(good)).toBe(true);
    expect(index.parse(good.slice(0, 65))).toBe(false);
    expect(index.parse(`0y${good.slice(2)}`)).toBe(false);
    expect(index.parse(`${good.slice(0, 65)}G`)).toBe(false);
    expect(index.parse(`${good.slice(0, 60)}ABCDEF`)).toBe(false);
  });
});

describe("engine storage: expiry queue", () => {
  it("pops by (expiry, seq) across growth, whatever the push order", () => {
    const rand = rng(5);
    const q = new ExpiryQueue(4);
    const model: Array<[number, number, number]> = [];
    for (let i = 0; i < 5_000; i++) {
      const expiry = 1000 + Math.floor(rand() * 50);
      q.push(expiry, i, i * 3);
      model.push([expiry, i, i * 3]);
      if (rand() < 0.3) {
        model.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
        expect(q.peekExpiry()).toBe(model[0]![0]);
        expect(q.pop()).toBe(model.shift()![2]);
      }
    }
    model.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    expect(q.size).toBe(model.length);
    for (const [, , slot] of model) expect(q.pop()).toBe(slot);
    expect(q.peekExpiry()).toBe(Infinity);
  });
});

describe("engine storage: behaviour does not depend on table sizes", () => {
  // Generated in the tests (the generator runs an engine), so a broken index fails them, not the file.
  let inputs: EngineInput[] | undefined;
  const run = (initialCapacity: number) => {
    inputs ??= generateStream({
      ops: 40_000,
      seed: 20_240_601,
      mix: fullMix,
      lifetime: 120,
    }).inputs;
    const e = new MatchingEngine({ initialCapacity });
    const h = createHash("sha256");
    for (const input of inputs) for (const ev of e.apply(input)) h.update(formatEvent(ev) + "\n");
    return { events: h.digest("hex"), snapshot: JSON.stringify(e.snapshot()) };
  };

  it("gives the same events and snapshot from 16 slots (growing, reusing slots) as from 2^16", () => {
    const small = run(16);
    const large = run(1 << 16);
    expect(small.events).toBe(large.events);
    expect(small.snapshot).toBe(large.snapshot);
  });

  it("gives the events the previous engine (a Map of order objects) gave on this log", () => {
    // Recorded from the engine before the slot/typed-array storage (commit f5bd0df), on the same
    // generated log: the storage change must not change a single byte of output.
    expect(run(1024).events).toBe(
      "a5093328e07538a06cf9f555f8e1b0068fe5a653ea5cdd05d040295a423a2c7a",
    );
  });
});

describe("engine: order hashes and packed output", () => {
  it("refuses a malformed order hash and finds no order by one", () => {
    const e = newEngine();
    const o = order({ trader: "0x00000000000000000000000000000000000000a1", side: 0 });
    for (const bad of ["0x1234", `0x${"AB".repeat(32)}`, `0X${"ab".repeat(32)}`]) {
      expect(place(e, o, bad as Hex32)).toEqual([
        { type: "rejected", input: "place", orderHash: bad, reason: "INVALID_ORDER_HASH" },
      ]);
    }
    const cancel = e.apply({ type: "cancel", time: 1000, orderHash: "0x12", source: "chain" });
    expect(cancel).toEqual([
      { type: "rejected", input: "cancel", orderHash: "0x12", reason: "UNKNOWN_ORDER" },
    ]);
    expect(e.openOrders).toBe(0);
  });

  it("writes fills and levels as ticks and lots in the packed buffer", () => {
    const e = newEngine();
    const seller = "0x00000000000000000000000000000000000000b2";
    const buyer = "0x00000000000000000000000000000000000000c3";
    const maker = nextHash();
    place(e, order({ trader: seller, side: 1, price: 2000n * USDC, amount: 3n * ETH }), maker);
    const taker = nextHash();
    const ev = e.applyPacked({
      type: "place",
      time: 1000,
      orderHash: taker,
      order: order({ trader: buyer, side: 0, price: 2001n * USDC, amount: 5n * ETH }),
    });
    const kinds = Array.from(ev.kind.subarray(0, ev.length));
    expect(kinds).toEqual([EV_FILL, EV_FILLED, EV_RESTED, EV_LEVEL, EV_LEVEL]);
    // Fill row: maker and taker hashes, lots and ticks of the market.
    expect(ev.h0[0]).toBe(maker);
    expect(ev.h1[0]).toBe(taker);
    expect(BigInt(ev.n2[0]!) * market.lotSize).toBe(3n * ETH);
    expect(BigInt(ev.n3[0]!) * market.tickSize).toBe(2000n * USDC);
    // The object form of the same rows is what `apply` returns.
    const fill = ev.event(0);
    expect(fill).toMatchObject({ type: "fill", baseAmount: 3n * ETH, price: 2000n * USDC });
  });
});
