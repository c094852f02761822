import type { Market } from "./market.js";
import { feeOf } from "./market.js";
import type {
  Address,
  CancelReason,
  EngineEvent,
  EngineInput,
  Hex32,
  MarketEvent,
  RejectReason,
  Side,
} from "./types.js";

/** Event kinds in the packed buffer. */
export const EV_FILL = 1;
export const EV_RESTED = 2;
export const EV_FILLED = 3;
export const EV_CANCELLED = 4;
export const EV_EXPIRED = 5;
export const EV_AMENDED = 6;
export const EV_REJECTED = 7;
export const EV_LEVEL = 8;
export const EV_MARKET = 9;

/**
 * The engine's output for one input, packed: one row per event in parallel columns, reused from
 * input to input, so matching allocates nothing per event. Sizes are lots and prices ticks (exact
 * integers); each row keeps its market, whose tick and lot sizes turn them into atoms.
 *
 * `toObjects` turns rows into the `EngineEvent` objects with bigint atoms that the service, the
 * journal tools and the tests use; that conversion is exact (see market.ts) and is where the
 * bigint boundary sits. Readers that need only some fields (market data, replay) read the columns.
 *
 * Column use by kind (`h` hash, `a` address, `n` number, `p` price as bigint atoms):
 * - fill: h0 maker hash, h1 taker hash, a0 maker, a1 taker, n0 fillId, n1 taker side, n2 lots,
 *   n3 ticks, n4 maker filled after (lots), n5 taker filled after, n6 maker bps, n7 taker bps, p
 * - rested: h0, n1 side, n2 open lots, n4 filled lots, p
 * - filled / expired: h0, n4 filled lots
 * - cancelled: h0, n0 reason code, n4 filled lots
 * - amended: h0, n2 total lots, n0 kept priority (1/0), p
 * - rejected: h0 (or ""), a0 input type, a1 reject reason (no market)
 * - level: n1 side, n2 lots, n3 orders left, p
 * - market: n0 status code
 */
export class EventBuffer {
  /** Rows written for the current input. */
  length = 0;
  private cap: number;
  kind: Uint8Array;
  market: Array<Market | undefined>;
  h0: Array<Hex32 | "">;
  h1: Hex32[];
  a0: string[];
  a1: string[];
  p: Array<bigint | undefined>;
  n0: Float64Array;
  n1: Float64Array;
  n2: Float64Array;
  n3: Float64Array;
  n4: Float64Array;
  n5: Float64Array;
  n6: Float64Array;
  n7: Float64Array;

  constructor(capacity = 256) {
    this.cap = capacity;
    this.kind = new Uint8Array(capacity);
    this.market = new Array<Market | undefined>(capacity).fill(undefined);
    this.h0 = new Array<Hex32 | "">(capacity).fill("");
    this.h1 = new Array<Hex32>(capacity).fill("0x");
    this.a0 = new Array<string>(capacity).fill("");
    this.a1 = new Array<string>(capacity).fill("");
    this.p = new Array<bigint | undefined>(capacity).fill(undefined);
    this.n0 = new Float64Array(capacity);
    this.n1 = new Float64Array(capacity);
    this.n2 = new Float64Array(capacity);
    this.n3 = new Float64Array(capacity);
    this.n4 = new Float64Array(capacity);
    this.n5 = new Float64Array(capacity);
    this.n6 = new Float64Array(capacity);
    this.n7 = new Float64Array(capacity);
  }

  /** Start a row of `kind` in `m` (undefined for rejections); returns its index. */
  row(kind: number, m: Market | undefined): number {
    if (this.length === this.cap) this.grow();
    const i = this.length++;
    this.kind[i] = kind;
    this.market[i] = m;
    return i;
  }

  /** Append every row, as `EngineEvent` objects, to `out`. */
  toObjects(out: EngineEvent[]): EngineEvent[] {
    for (let i = 0; i < this.length; i++) out.push(this.event(i));
    return out;
  }

  /** Row `i` as an `EngineEvent`: the engine's documented output, bigint atoms included. */
  event(i: number): EngineEvent {
    const m = this.market[i]!;
    switch (this.kind[i]) {
      case EV_FILL: {
        const lots = this.n2[i]!;
        const ticks = this.n3[i]!;
        const quote = m.quote(lots, ticks);
        return {
          type: "fill",
          fillId: this.n0[i]!,
          makerOrderHash: this.h0[i] as Hex32,
          takerOrderHash: this.h1[i]!,
          maker: this.a0[i] as Address,
          taker: this.a1[i] as Address,
          marketId: m.marketId,
          takerSide: this.n1[i] as Side,
          price: this.p[i]!,
          baseAmount: m.atoms(lots),
          quoteAmount: quote,
          makerFee: feeOf(quote, lots, ticks, m.unitQuoteN, this.n6[i]!),
          takerFee: feeOf(quote, lots, ticks, m.unitQuoteN, this.n7[i]!),
          makerFilledAfter: m.atoms(this.n4[i]!),
          takerFilledAfter: m.atoms(this.n5[i]!),
        };
      }
      case EV_RESTED:
        return {
          type: "rested",
          orderHash: this.h0[i] as Hex32,
          marketId: m.marketId,
          side: this.n1[i] as Side,
          price: this.p[i]!,
          remaining: m.atoms(this.n2[i]!),
          filled: m.atoms(this.n4[i]!),
        };
      case EV_FILLED:
        return {
          type: "filled",
          orderHash: this.h0[i] as Hex32,
          marketId: m.marketId,
          filled: m.atoms(this.n4[i]!),
        };
      case EV_CANCELLED:
        return {
          type: "cancelled",
          orderHash: this.h0[i] as Hex32,
          marketId: m.marketId,
          reason: CANCEL_REASONS[this.n0[i]!]!,
          filled: m.atoms(this.n4[i]!),
        };
      case EV_EXPIRED:
        return {
          type: "expired",
          orderHash: this.h0[i] as Hex32,
          marketId: m.marketId,
          filled: m.atoms(this.n4[i]!),
        };
      case EV_AMENDED:
        return {
          type: "amended",
          orderHash: this.h0[i] as Hex32,
          marketId: m.marketId,
          price: this.p[i]!,
          amount: m.atoms(this.n2[i]!),
          keptPriority: this.n0[i] === 1,
        };
      case EV_REJECTED:
        return {
          type: "rejected",
          input: this.a0[i] as EngineInput["type"],
          orderHash: this.h0[i]!,
          reason: this.a1[i] as RejectReason,
        };
      case EV_LEVEL:
        return {
          type: "level",
          marketId: m.marketId,
          side: this.n1[i] as Side,
          price: this.p[i]!,
          size: this.n3[i] === 0 ? 0n : m.atoms(this.n2[i]!),
        };
      case EV_MARKET:
        return { type: "market", marketId: m.marketId, status: MARKET_STATUS[this.n0[i]!]! };
      default:
        throw new Error(`event buffer: unknown kind ${String(this.kind[i])}`);
    }
  }

  private grow(): void {
    const n = this.cap * 2;
    const f64 = (a: Float64Array) => {
      const b = new Float64Array(n);
      b.set(a);
      return b;
    };
    const kind = new Uint8Array(n);
    kind.set(this.kind);
    this.kind = kind;
    this.n0 = f64(this.n0);
    this.n1 = f64(this.n1);
    this.n2 = f64(this.n2);
    this.n3 = f64(this.n3);
    this.n4 = f64(this.n4);
    this.n5 = f64(this.n5);
    this.n6 = f64(this.n6);
    this.n7 = f64(this.n7);
    for (const a of [this.market, this.h0, this.h1, this.a0, this.a1, this.p] as unknown[][]) {
      a.length = n;
    }
    this.market.fill(undefined, this.cap);
    this.h0.fill("", this.cap);
    this.h1.fill("0x", this.cap);
    this.a0.fill("", this.cap);
    this.a1.fill("", this.cap);
    this.p.fill(undefined, this.cap);
    this.cap = n;
  }
}

/** Cancel reasons by their code in the buffer. */
export const CANCEL_REASONS: readonly CancelReason[] = [
  "USER",
  "CHAIN",
  "IOC_REMAINDER",
  "SELF_TRADE",
  "NONCE_INVALIDATED",
  "LEVEL_CAPACITY",
];
export const MARKET_STATUS: ReadonlyArray<MarketEvent["status"]> = ["added", "paused", "active"];
