/**
 * Publishes the core's outputs on the WebSocket stream: book level changes (`book:<id>`), trades
 * and busts (`trades:<id>`), each account's order, fill and bust events (`account:<address>`),
 * batch status changes (`batches`), and the order feed (`orders`: each accepted order once, with
 * its signature and `seq`).
 *
 * Views are built only for channels someone listens to (the intake's hot path publishes every
 * order and fill; most have no subscriber).
 */
import { checksumAddress } from "@clearmatch/protocol";
import type { WsHub } from "./ws-hub.js";
import { batchView, fillView, orderView } from "../read/clearmatch-service.js";
import type { CoreOutput } from "../core/core-types.js";

export function publishOutputs(hub: WsHub, outputs: readonly CoreOutput[]): void {
  for (const out of outputs) {
    switch (out.type) {
      case "book": {
        const channel = `book:${out.event.marketId}`;
        if (!hub.hasSubscribers(channel)) break;
        hub.publish(channel, "level", {
          side: out.event.side === 0 ? "bid" : "ask",
          price: out.event.price,
          amount: out.event.size,
          sequence: out.sequence,
        });
        break;
      }
      case "fill": {
        const e = out.fill.fill;
        const trades = `trades:${e.marketId}`;
        const maker = `account:${checksumAddress(e.maker)}`;
        const taker = `account:${checksumAddress(e.taker)}`;
        if (!hub.hasSubscribers(trades) && !hub.hasSubscribers(maker) && !hub.hasSubscribers(taker))
          break;
        const view = fillView(out.fill);
        hub.publish(trades, "trade", view);
        hub.publish(maker, "fill", view);
        if (taker !== maker) hub.publish(taker, "fill", view);
        break;
      }
      case "order": {
        const channel = `account:${checksumAddress(out.order.order.trader)}`;
        if (hub.hasSubscribers(channel)) hub.publish(channel, "order", orderView(out.order));
        // The order feed: each accepted order once, signed, with its place in acceptance order.
        if (out.accepted && hub.hasSubscribers("orders"))
          hub.publish("orders", "order", { ...orderView(out.order), seq: out.order.seq });
        break;
      }
      case "batchCut":
      case "batch":
        hub.publish("batches", "batch", batchView(out.batch));
        break;
      case "recut":
        hub.publish("batches", "recut", {
          fromBatchId: out.fromBatchId,
          toBatchId: out.toBatchId,
          reason: out.reason,
        });
        break;
      case "bust": {
        const view = { ...fillView(out.fill), reason: out.reason };
        hub.publish(`trades:${view.marketId}`, "bust", view);
        hub.publish(`account:${view.maker}`, "bust", view);
        if (view.taker !== view.maker) hub.publish(`account:${view.taker}`, "bust", view);
        hub.publish("batches", "bust", view);
        break;
      }
      default:
        break;
    }
  }
}
