import { describe, expect, it } from "vitest";
import { MatchingEngine } from "../src/engine/matching-engine.js";
import { formatEvent } from "../src/engine/event-format.js";
import {
  ETH,
  FAR,
  USDC,
  alice,
  bob,
  carol,
  fills,
  market,
  newEngine,
  nextHash,
  ofType,
  order,
  place,
} from "./engine-fixtures.js";

const P = 2000n * USDC;

describe("matching engine: orders and priority", () => {
  it("rests a limit order and reports the level", () => {
    const e = newEngine();
    const events = place(e, order({ trader: alice, side: 0 }));
    expect(ofType(events, "rested")).toHaveLength(1);
    expect(ofType(events, "level")).toEqual([
      { type: "level", marketId: 1, side: 0, price: P, size: ETH },
    ]);
    expect(e.depth(1)).toEqual({
      marketId: 1,
      bids: [{ price: P, size: ETH, orders: 1 }],
      asks: [],
    });
  });

  it("fills at the maker's price with exact quote, fees and cumulative amounts", () => {
    const e = newEngine();
    const maker = nextHash();
    place(e, order({ trader: alice, side: 1, price: P, amount: 2n * ETH }), maker);
    const taker = nextHash();
    const events = place(e, order({ trader: bob, side: 0, price: P + 50n * USDC }), taker);
    expect(fills(events)).toEqual([
      {
        type: "fill",
        fillId: 1,
        makerOrderHash: maker,
        takerOrderHash: taker,
        maker: alice,
        taker: bob,
        marketId: 1,
        takerSide: 0,
        price: P,
        baseAmount: ETH,
        quoteAmount: P,
        makerFee: (P * 10n) / 10_000n,
        takerFee: (P * 20n) / 10_000n,
        makerFilledAfter: ETH,
        takerFilledAfter: ETH,
      },
    ]);
    expect(ofType(events, "filled").map((x) => x.orderHash)).toEqual([taker]);
    expect(e.order(maker)).toMatchObject({ status: "OPEN", filled: ETH, remaining: ETH });
  });

  it("matches better prices first, then earlier orders at one price", () => {
    const e = newEngine();
    const [a, b, c] = [nextHash(), nextHash(), nextHash()];
    place(e, order({ trader: alice, side: 1, price: P + USDC }), a);
    place(e, order({ trader: bob, side: 1, price: P }), b);
    place(e, order({ trader: alice, side: 1, price: P }), c);
    const events = place(e, order({ trader: carol, side: 0, price: P + USDC, amount: 3n * ETH }));
    expect(fills(events).map((f) => [f.makerOrderHash, f.price])).toEqual([
      [b, P],
      [c, P],
      [a, P + USDC],
    ]);
    expect(fills(events).map((f) => f.takerFilledAfter)).toEqual([ETH, 2n * ETH, 3n * ETH]);
    expect(e.depth(1)).toEqual({ marketId: 1, bids: [], asks: [] });
    // One level event per touched level per input, both now empty.
    expect(ofType(events, "level").map((l) => [l.price, l.size])).toEqual([
      [P, 0n],
      [P + USDC, 0n],
    ]);
  });

  it("caps each side's fee at the order's maxFeeBps", () => {
    const e = newEngine();
    place(e, order({ trader: alice, side: 1, maxFeeBps: 3 }));
    const [f] = fills(place(e, order({ trader: bob, side: 0, maxFeeBps: 0 })));
    expect(f!.makerFee).toBe((P * 3n) / 10_000n);
    expect(f!.takerFee).toBe(0n);
  });

  it("floors fees to whole quote atoms", () => {
    const e = newEngine({}, { ...market, makerFeeBps: 1, takerFeeBps: 3 });
    // 0.001 ETH at 0.01 USDC = 10 quote atoms: fees floor(10*1/1e4)=0, floor(10*3/1e4)=0.
    place(e, order({ trader: alice, side: 1, price: 10_000n, amount: 10n ** 15n }));
    const [f] = fills(
      place(e, order({ trader: bob, side: 0, price: 10_000n, amount: 10n ** 15n })),
    );
    expect([f!.quoteAmount, f!.makerFee, f!.takerFee]).toEqual([10n, 0n, 0n]);
  });

  it("computes exactly beyond 2^53 (bigint path)", () => {
    // A tick of 10^24 quote atoms makes one lot at one tick worth 10^21: past 2^53.
    const e = newEngine({}, { ...market, tickSize: 10n ** 24n });
    const big = 10n ** 30n;
    place(e, order({ trader: alice, side: 1, price: big, amount: 1000n * ETH }));
    const [f] = fills(place(e, order({ trader: bob, side: 0, price: big, amount: 1000n * ETH })));
    expect(f!.quoteAmount).toBe((1000n * ETH * big) / ETH);
    expect(f!.takerFee).toBe((f!.quoteAmount * 20n) / 10_000n);
    expect(f!.makerFee).toBe((f!.quoteAmount * 10n) / 10_000n);
  });
});

describe("matching engine: amounts above 2^53", () => {
  it("converts each one exactly and refuses off-lot ones, on every use", () => {
    const e = newEngine({ initialCapacity: 16_384 });
    // 10^19 base atoms and up (past 2^53): 5,000 distinct sizes, each twice.
    const lots = (k: number) => (10_000n + BigInt(k)) * market.lotSize;
    for (let round = 0; round < 2; round++) {
      for (let k = 0; k < 5_000; k++) {
        const amount = lots(k);
        const hash = nextHash();
        place(e, order({ trader: alice, side: 1, price: P, amount }), hash);
        expect(e.order(hash).remaining).toBe(amount);
        const off = place(e, order({ trader: alice, side: 1, price: P, amount: amount + 1n }));
        expect(ofType(off, "rejected")[0]?.reason).toBe("LOT_VIOLATION");
      }
    }
  });
});

describe("matching engine: order types", () => {
  it("cancels the unfilled rest of an IOC order (a market order with a protective price)", () => {
    const e = newEngine();
    place(e, order({ trader: alice, side: 1, price: P }));
    place(e, order({ trader: alice, side: 1, price: P + 100n * USDC }));
    const ioc = nextHash();
    const events = place(
      e,
      order({ trader: bob, side: 0, price: P + 10n * USDC, amount: 2n * ETH, flags: 2 }),
      ioc,
    );
    expect(fills(events)).toHaveLength(1);
    expect(ofType(events, "cancelled")).toEqual([
      { type: "cancelled", orderHash: ioc, marketId: 1, reason: "IOC_REMAINDER", filled: ETH },
    ]);
    expect(e.depth(1)!.bids).toEqual([]);
  });

  it("kills a fill-or-kill order that cannot fill completely, leaving the book alone", () => {
    const e = newEngine();
    place(e, order({ trader: alice, side: 1, price: P }));
    const before = e.snapshot();
    const events = place(e, order({ trader: bob, side: 0, amount: 2n * ETH, flags: 4 }));
    expect(events).toEqual([
      { type: "rejected", input: "place", orderHash: expect.any(String), reason: "FOK_UNFILLABLE" },
    ]);
    expect(e.snapshot().markets).toEqual(before.markets);
    const ok = place(e, order({ trader: bob, side: 0, amount: ETH, flags: 4 }));
    expect(fills(ok)).toHaveLength(1);
  });

  it("does not count the trader's own resting orders toward a fill-or-kill", () => {
    const e = newEngine();
    place(e, order({ trader: alice, side: 1 }));
    place(e, order({ trader: bob, side: 1 }));
    const events = place(e, order({ trader: alice, side: 0, amount: 2n * ETH, flags: 4 }));
    expect(ofType(events, "rejected")[0]!.reason).toBe("FOK_UNFILLABLE");
  });

  it("rejects a post-only order that would cross and rests one that would not", () => {
    const e = newEngine();
    place(e, order({ trader: alice, side: 1, price: P }));
    const cross = place(e, order({ trader: bob, side: 0, price: P, flags: 1 }));
    expect(ofType(cross, "rejected")[0]!.reason).toBe("POST_ONLY_WOULD_CROSS");
    const rest = place(e, order({ trader: bob, side: 0, price: P - USDC, flags: 1 }));
    expect(ofType(rest, "rested")).toHaveLength(1);
  });

  it("refuses invalid orders with stable codes", () => {
    const e = newEngine();
    const reason = (o: Parameters<typeof order>[0]) =>
      ofType(place(e, order(o)), "rejected")[0]?.reason;
    expect(reason({ trader: alice, side: 0, marketId: 9 })).toBe("UNKNOWN_MARKET");
    expect(reason({ trader: alice, side: 2 })).toBe("INVALID_SIDE");
    expect(reason({ trader: alice, side: 0, flags: 6 })).toBe("INVALID_FLAGS");
    expect(reason({ trader: alice, side: 0, flags: 8 })).toBe("INVALID_FLAGS");
    expect(reason({ trader: alice, side: 0, maxFeeBps: 70_000 })).toBe("INVALID_MAX_FEE");
    expect(reason({ trader: alice, side: 0, price: P + 1n })).toBe("TICK_VIOLATION");
    expect(reason({ trader: alice, side: 0, price: 0n })).toBe("INVALID_PRICE");
    expect(reason({ trader: alice, side: 0, amount: ETH + 1n })).toBe("LOT_VIOLATION");
    expect(reason({ trader: alice, side: 0, amount: 0n })).toBe("INVALID_AMOUNT");
    expect(reason({ trader: alice, side: 0, amount: 10n ** 15n * 2n ** 49n })).toBe(
      "AMOUNT_OUT_OF_RANGE",
    );
    expect(reason({ trader: alice, side: 0, price: 10_000n * 2n ** 49n })).toBe(
      "PRICE_OUT_OF_RANGE",
    );
    expect(reason({ trader: alice, side: 0, expiry: 1000n })).toBe("EXPIRED");
    expect(e.openOrders).toBe(0);
  });

  it("treats a resubmitted order as a duplicate, open or closed", () => {
    const e = newEngine();
    const h = nextHash();
    const o = order({ trader: alice, side: 1 });
    place(e, o, h);
    expect(ofType(place(e, o, h), "rejected")[0]!.reason).toBe("DUPLICATE_ORDER");
    place(e, order({ trader: bob, side: 0 }));
    expect(e.order(h).status).toBe("FILLED");
    expect(ofType(place(e, o, h), "rejected")[0]!.reason).toBe("DUPLICATE_ORDER");
  });

  it("refuses new orders and amends on a paused market but still cancels", () => {
    const e = newEngine();
    const h = nextHash();
    place(e, order({ trader: alice, side: 1 }), h);
    e.apply({ type: "setMarketPaused", time: 1000, marketId: 1, paused: true });
    expect(ofType(place(e, order({ trader: bob, side: 0 })), "rejected")[0]!.reason).toBe(
      "MARKET_PAUSED",
    );
    const amend = e.apply({ type: "amend", time: 1000, orderHash: h, amount: ETH / 2n });
    expect(ofType(amend, "rejected")[0]!.reason).toBe("MARKET_PAUSED");
    const c = e.apply({ type: "cancel", time: 1000, orderHash: h, source: "user" });
    expect(ofType(c, "cancelled")[0]!.reason).toBe("USER");
  });
});

describe("matching engine: cancel and amend", () => {
  it("cancels a resting order and reports its level emptied", () => {
    const e = newEngine();
    const h = nextHash();
    place(e, order({ trader: alice, side: 0 }), h);
    const events = e.apply({ type: "cancel", time: 1001, orderHash: h, source: "user" });
    expect(events).toEqual([
      { type: "cancelled", orderHash: h, marketId: 1, reason: "USER", filled: 0n },
      { type: "level", marketId: 1, side: 0, price: P, size: 0n },
    ]);
    const again = e.apply({ type: "cancel", time: 1001, orderHash: h, source: "user" });
    expect(ofType(again, "rejected")[0]!.reason).toBe("ORDER_CLOSED");
    const unknown = e.apply({ type: "cancel", time: 1001, orderHash: nextHash(), source: "user" });
    expect(ofType(unknown, "rejected")[0]!.reason).toBe("UNKNOWN_ORDER");
  });

  it("honours an on-chain cancel that arrives before its order", () => {
    const e = newEngine();
    const h = nextHash();
    e.apply({ type: "cancel", time: 1000, orderHash: h, source: "chain" });
    expect(ofType(place(e, order({ trader: alice, side: 0 }), h), "rejected")[0]!.reason).toBe(
      "DUPLICATE_ORDER",
    );
  });

  it("keeps time priority when an amend only reduces size", () => {
    const e = newEngine();
    const [a, b] = [nextHash(), nextHash()];
    place(e, order({ trader: alice, side: 1, amount: 2n * ETH }), a);
    place(e, order({ trader: bob, side: 1 }), b);
    const amended = e.apply({ type: "amend", time: 1000, orderHash: a, amount: ETH });
    expect(ofType(amended, "amended")[0]).toMatchObject({ amount: ETH, keptPriority: true });
    expect(ofType(amended, "level")[0]!.size).toBe(2n * ETH);
    const [f] = fills(place(e, order({ trader: carol, side: 0 })));
    expect(f!.makerOrderHash).toBe(a);
  });

  it("sends an order to the back of its level when an amend increases size", () => {
    const e = newEngine();
    const [a, b] = [nextHash(), nextHash()];
    place(e, order({ trader: alice, side: 1, amount: 2n * ETH }), a);
    place(e, order({ trader: bob, side: 1 }), b);
    e.apply({ type: "amend", time: 1000, orderHash: a, amount: ETH });
    const up = e.apply({ type: "amend", time: 1000, orderHash: a, amount: 2n * ETH });
    expect(ofType(up, "amended")[0]!.keptPriority).toBe(false);
    const [f] = fills(place(e, order({ trader: carol, side: 0 })));
    expect(f!.makerOrderHash).toBe(b);
  });

  it("re-enters an order whose price changes, trading if it now crosses", () => {
    const e = newEngine();
    const [a, b] = [nextHash(), nextHash()];
    place(e, order({ trader: bob, side: 0, price: P + 10n * USDC }), b);
    const down = e.apply({ type: "amend", time: 1000, orderHash: b, price: P - 5n * USDC });
    expect(ofType(down, "amended")[0]).toMatchObject({ price: P - 5n * USDC, keptPriority: false });
    expect(e.depth(1)!.bids).toEqual([{ price: P - 5n * USDC, size: ETH, orders: 1 }]);
    place(e, order({ trader: alice, side: 1, price: P }), a);
    // Back up within the signed limit: the buy now crosses the ask and trades as the taker.
    const up = e.apply({ type: "amend", time: 1000, orderHash: b, price: P + 5n * USDC });
    expect(fills(up).map((f) => [f.makerOrderHash, f.takerOrderHash, f.price])).toEqual([
      [a, b, P],
    ]);
    expect(e.order(b).status).toBe("FILLED");
    expect(e.depth(1)).toEqual({ marketId: 1, bids: [], asks: [] });
  });

  it("refuses amends outside the signed order", () => {
    const e = newEngine();
    const h = nextHash();
    place(e, order({ trader: alice, side: 0, amount: 2n * ETH }), h);
    place(e, order({ trader: bob, side: 1, price: P }));
    const reason = (amount?: bigint, price?: bigint) =>
      ofType(e.apply({ type: "amend", time: 1000, orderHash: h, amount, price }), "rejected")[0]
        ?.reason;
    expect(reason(3n * ETH)).toBe("AMEND_ABOVE_SIGNED");
    expect(reason(ETH)).toBe("AMEND_NOT_ABOVE_FILLED");
    expect(reason(undefined, P + USDC)).toBe("AMEND_BEYOND_LIMIT");
    expect(reason(2n * ETH)).toBe("AMEND_NO_CHANGE");
    expect(reason(undefined, P + 1n)).toBe("TICK_VIOLATION");
    expect(reason(ETH + 1n)).toBe("LOT_VIOLATION");
  });
});

describe("matching engine: self-trade prevention", () => {
  it("cancels the resting order by default and keeps matching", () => {
    const e = newEngine();
    const [own, other] = [nextHash(), nextHash()];
    place(e, order({ trader: alice, side: 1 }), own);
    place(e, order({ trader: bob, side: 1 }), other);
    const events = place(
      e,
      order({ trader: alice.toUpperCase().replace("0X", "0x") as typeof alice, side: 0 }),
    );
    expect(ofType(events, "cancelled")).toEqual([
      { type: "cancelled", orderHash: own, marketId: 1, reason: "SELF_TRADE", filled: 0n },
    ]);
    expect(fills(events).map((f) => f.makerOrderHash)).toEqual([other]);
  });

  it("cancels the incoming order under CANCEL_TAKER, keeping fills before it", () => {
    const e = newEngine({ selfTradePrevention: "CANCEL_TAKER" });
    const [other, own, taker] = [nextHash(), nextHash(), nextHash()];
    place(e, order({ trader: bob, side: 1 }), other);
    place(e, order({ trader: alice, side: 1 }), own);
    const events = place(e, order({ trader: alice, side: 0, amount: 2n * ETH }), taker);
    expect(fills(events).map((f) => f.makerOrderHash)).toEqual([other]);
    expect(ofType(events, "cancelled")).toEqual([
      { type: "cancelled", orderHash: taker, marketId: 1, reason: "SELF_TRADE", filled: ETH },
    ]);
    expect(e.order(own).status).toBe("OPEN");
  });

  it("cancels both under CANCEL_BOTH", () => {
    const e = newEngine({ selfTradePrevention: "CANCEL_BOTH" });
    const [own, taker] = [nextHash(), nextHash()];
    place(e, order({ trader: alice, side: 1 }), own);
    const events = place(e, order({ trader: alice, side: 0 }), taker);
    expect(ofType(events, "cancelled").map((c) => c.orderHash)).toEqual([own, taker]);
    expect(e.openOrders).toBe(0);
  });
});

describe("matching engine: time and nonces", () => {
  it("never fills an expired maker: it expires when met", () => {
    const e = newEngine();
    const [old, fresh] = [nextHash(), nextHash()];
    place(e, order({ trader: alice, side: 1, expiry: 1100n }), old);
    place(e, order({ trader: bob, side: 1, expiry: FAR }), fresh);
    const events = place(e, order({ trader: carol, side: 0 }), nextHash(), 1100);
    expect(ofType(events, "expired").map((x) => x.orderHash)).toEqual([old]);
    expect(fills(events).map((f) => f.makerOrderHash)).toEqual([fresh]);
  });

  it("expires due orders on an expire input and forgets closed ones past expiry", () => {
    const e = newEngine();
    const [a, b, c] = [nextHash(), nextHash(), nextHash()];
    place(e, order({ trader: alice, side: 1, expiry: 1200n }), a);
    place(e, order({ trader: alice, side: 1, expiry: 1100n, price: P + USDC }), b);
    place(e, order({ trader: bob, side: 0, price: P, expiry: 1050n }), c); // fills a
    expect(e.apply({ type: "expire", time: 1099 })).toEqual([]);
    const events = e.apply({ type: "expire", time: 1200 });
    expect(ofType(events, "expired").map((x) => x.orderHash)).toEqual([b]);
    expect(ofType(events, "level")).toHaveLength(1);
    expect([e.order(a).status, e.order(c).status]).toEqual(["UNKNOWN", "UNKNOWN"]);
    expect(e.snapshot().expiries).toEqual([]);
    const again = place(e, order({ trader: bob, side: 0, price: P, expiry: 1050n }), c, 1200);
    expect(ofType(again, "rejected")[0]!.reason).toBe("EXPIRED");
  });

  it("cancels orders below an invalidated nonce and refuses new ones", () => {
    const e = newEngine();
    const [low, high, other] = [nextHash(), nextHash(), nextHash()];
    place(e, order({ trader: alice, side: 0, nonce: 4n }), low);
    place(e, order({ trader: alice, side: 0, nonce: 5n }), high);
    place(e, order({ trader: bob, side: 0, nonce: 1n }), other);
    const events = e.apply({ type: "invalidateNonces", time: 1000, trader: alice, minNonce: 5n });
    expect(ofType(events, "cancelled")).toEqual([
      { type: "cancelled", orderHash: low, marketId: 1, reason: "NONCE_INVALIDATED", filled: 0n },
    ]);
    const r = place(e, order({ trader: alice, side: 0, nonce: 3n }));
    expect(ofType(r, "rejected")[0]!.reason).toBe("NONCE_INVALIDATED");
    expect(e.openOrders).toBe(2);
  });
});

describe("matching engine: markets and snapshots", () => {
  it("refuses a market whose quote amounts would not be exact", () => {
    const e = new MatchingEngine();
    const bad = e.apply({ type: "addMarket", time: 0, market: { ...market, lotSize: 10n ** 13n } });
    expect(ofType(bad, "rejected")[0]!.reason).toBe("INVALID_MARKET");
    e.apply({ type: "addMarket", time: 0, market });
    const dup = e.apply({ type: "addMarket", time: 0, market });
    expect(ofType(dup, "rejected")[0]!.reason).toBe("MARKET_EXISTS");
  });

  it("restores from a snapshot to an engine that continues identically", () => {
    const e = newEngine();
    for (let i = 0; i < 20; i++) {
      const side = i % 2;
      place(e, order({ trader: i % 3 === 0 ? alice : bob, side, price: P + BigInt(i % 5) * USDC }));
    }
    const copy = MatchingEngine.restore(JSON.parse(JSON.stringify(e.snapshot())));
    expect(copy.snapshot()).toEqual(e.snapshot());
    const next = order({ trader: carol, side: 0, price: P + 10n * USDC, amount: 5n * ETH });
    const h = nextHash();
    expect(place(copy, next, h).map(formatEvent)).toEqual(place(e, next, h).map(formatEvent));
  });

  it("keeps every signed field exact, beyond 2^53 too, through amends, snapshots and restores", () => {
    const U64_MAX = 2n ** 64n - 1n;
    const e = newEngine();
    const signed = [
      order({ trader: alice, side: 0, nonce: U64_MAX, expiry: U64_MAX, maxFeeBps: 65_535 }),
      order({ trader: alice, side: 0, nonce: 2n ** 53n + 1n, expiry: 2n ** 53n + 1n, flags: 1 }),
      order({ trader: alice, side: 1, price: P * 2n, nonce: 2n ** 53n - 1n, flags: 1 }),
      order({ trader: bob, side: 1, price: P * 3n, amount: 7n * ETH, nonce: 0n, maxFeeBps: 0 }),
    ];
    const hashes = signed.map((o) => {
      const h = nextHash();
      place(e, o, h);
      return h;
    });
    // An amend changes the current limit and size, never what was signed.
    const amend = (i: number, amount?: bigint, price?: bigint) =>
      e.apply({ type: "amend", time: 1000, orderHash: hashes[i]!, amount, price });
    expect(ofType(amend(3, 5n * ETH, P * 4n), "amended")).toHaveLength(1);
    const signedOf = (engine: MatchingEngine) =>
      engine.snapshot().markets.flatMap((m) => m.orders.map((o) => [o.hash, o.signed]));
    const expected = hashes.map((h, i) => [
      h,
      {
        ...signed[i]!,
        price: signed[i]!.price.toString(),
        amount: signed[i]!.amount.toString(),
        nonce: signed[i]!.nonce.toString(),
        expiry: signed[i]!.expiry.toString(),
      },
    ]);
    const byHash = (rows: unknown[][]) => new Map(rows.map(([h, s]) => [h, s]));
    expect(byHash(signedOf(e))).toEqual(byHash(expected));
    const copy = MatchingEngine.restore(JSON.parse(JSON.stringify(e.snapshot())));
    expect(copy.snapshot()).toEqual(e.snapshot());
    const bid = nextHash();
    for (const engine of [e, copy]) {
      // The signed limits and amount still bound amends after a restore.
      const reason = (i: number, amount?: bigint, price?: bigint) =>
        ofType(
          engine.apply({ type: "amend", time: 1000, orderHash: hashes[i]!, amount, price }),
          "rejected",
        )[0]?.reason;
      expect(reason(3, 8n * ETH)).toBe("AMEND_ABOVE_SIGNED");
      expect(reason(3, undefined, P * 3n - USDC)).toBe("AMEND_BEYOND_LIMIT");
      expect(reason(0, undefined, P + USDC)).toBe("AMEND_BEYOND_LIMIT");
      // Post-only survives: the sell signed at 2P moves up to 5P, a bid rests at 3P, and the
      // way back down to its signed limit would now cross it.
      expect(
        ofType(
          engine.apply({ type: "amend", time: 1000, orderHash: hashes[2]!, price: P * 5n }),
          "amended",
        ),
      ).toHaveLength(1);
      expect(
        ofType(place(engine, order({ trader: carol, side: 0, price: P * 3n }), bid), "rested"),
      ).toHaveLength(1);
      expect(reason(2, undefined, P * 2n)).toBe("POST_ONLY_WOULD_CROSS");
      // Nonces compare exactly above 2^53: only the order below the floor goes.
      const cancelled = ofType(
        engine.apply({
          type: "invalidateNonces",
          time: 1000,
          trader: alice,
          minNonce: 2n ** 53n + 2n,
        }),
        "cancelled",
      ).map((c) => c.orderHash);
      expect(cancelled.sort()).toEqual([hashes[1]!, hashes[2]!].sort());
    }
    expect(copy.snapshot()).toEqual(e.snapshot());
  });
});
