import {
  OrderBook,
  SelfTradePreventionMode,
  Side,
  type IOrder,
  type LimitOrderOptions,
} from "nodejs-order-book";
import type { EngineInput } from "../src/engine/types.js";
import { streamMarket } from "./order-stream.js";

/**
 * The thin adapter that feeds the same stream to `nodejs-order-book`: prices as ticks, sizes as
 * lots (plain numbers, which that library uses), the trader as its STP account with
 * EXPIRE_MAKER (our default, CANCEL_MAKER), and a market order as what DESIGN.md says it is:
 * an IOC limit order at the protective price.
 */
/** The library's TimeInForce enum is declared but not exported; its values are these strings. */
type TimeInForce = NonNullable<LimitOrderOptions["timeInForce"]>;
const GTC = "GTC" as TimeInForce;
const IOC = "IOC" as TimeInForce;

export type PeerOp =
  | {
      kind: "limit";
      id: string;
      side: Side;
      size: number;
      price: number;
      timeInForce: TimeInForce;
      accountId: string;
    }
  | { kind: "cancel"; id: string };

export function toPeerOps(inputs: EngineInput[]): PeerOp[] {
  const tick = streamMarket.tickSize;
  const lot = streamMarket.lotSize;
  const ops: PeerOp[] = [];
  for (const input of inputs) {
    if (input.type === "place") {
      const o = input.order;
      if (o.flags !== 0 && o.flags !== 2) throw new Error("the peer stream has GTC and IOC only");
      ops.push({
        kind: "limit",
        id: input.orderHash,
        side: o.side === 0 ? Side.BUY : Side.SELL,
        size: Number(o.amount / lot),
        price: Number(o.price / tick),
        timeInForce: o.flags === 2 ? IOC : GTC,
        accountId: o.trader,
      });
    } else if (input.type === "cancel") {
      ops.push({ kind: "cancel", id: input.orderHash });
    } else if (input.type !== "addMarket") {
      throw new Error(`the peer has no counterpart for ${input.type}`);
    }
  }
  return ops;
}

export class PeerBook {
  readonly book = new OrderBook();

  apply(op: PeerOp): void {
    if (op.kind === "cancel") {
      this.book.cancel(op.id);
      return;
    }
    this.book.limit({
      id: op.id,
      side: op.side,
      size: op.size,
      price: op.price,
      timeInForce: op.timeInForce,
      accountId: op.accountId,
      stpMode: SelfTradePreventionMode.EXPIRE_MAKER,
    });
  }

  /** Apply `op` and return its trades as "maker|taker|ticks|lots", in execution order. */
  applyWithTrades(op: PeerOp): string[] {
    if (op.kind === "cancel") {
      this.book.cancel(op.id);
      return [];
    }
    const res = this.book.limit({
      id: op.id,
      side: op.side,
      size: op.size,
      price: op.price,
      timeInForce: op.timeInForce,
      accountId: op.accountId,
      stpMode: SelfTradePreventionMode.EXPIRE_MAKER,
    });
    if (res.err !== null) throw new Error(`peer refused ${op.id}: ${res.err.message}`);
    // `done` holds the makers it consumed whole (their size then is what traded), in order, and
    // the taker itself when it filled; `partial` the one maker it left partly filled (traded last).
    const trades: string[] = [];
    for (const d of res.done) {
      if (d.id !== op.id) trades.push(`${d.id}|${op.id}|${priceOf(d)}|${d.size}`);
    }
    const p = res.partial;
    if (p !== null && p.id !== op.id && res.partialQuantityProcessed > 0) {
      trades.push(`${p.id}|${op.id}|${priceOf(p)}|${res.partialQuantityProcessed}`);
    }
    return trades;
  }
}

function priceOf(order: IOrder): number {
  return "price" in order ? order.price : NaN;
}
