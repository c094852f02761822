/**
 * Publishes the core's outputs on the WebSocket stream: book level changes (`book:<id>`), trades
 * and busts (`trades:<id>`), each account's order, fill and bust events (`account:<address>`),
 * and batch status changes (`batches`).
 */
import { getAddress } from "viem";
import type { WsHub } from "../api/ws-hub.js";
import { batchView, fillView, orderView } from "./clearmatch-service.js";
import type { CoreOutput } from "./core-types.js";
import type { ExchangeCore } from "./exchange-core.js";

export function publishOutputs(
  hub: WsHub,
  outputs: readonly CoreOutput[],
  core: ExchangeCore,
): void {
  void core;
  for (const out of outputs) {
    switch (out.type) {
      case "book":
        hub.publish(`book:${out.event.marketId}`, "level", {
          side: out.event.side === 0 ? "bid" : "ask",
          price: out.event.price,
          amount: out.event.size,
          sequence: out.sequence,
        });
        break;
      case "fill": {
        const view = fillView(out.fill);
        hub.publish(`trades:${view.marketId}`, "trade", view);
        hub.publish(`account:${view.maker}`, "fill", view);
        if (view.taker !== view.maker) hub.publish(`account:${view.taker}`, "fill", view);
        break;
      }
      case "order":
        hub.publish(`account:${getAddress(out.order.order.trader)}`, "order", orderView(out.order));
        break;
      case "batchCut":
      case "batch":
        hub.publish("batches", "batch", batchView(out.batch));
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
