/**
 * Where a watchtower gets the signed orders that fills name: a fixed set (a trader's own, kept by
 * its client), or the sequencer's order feed, paged in from where it last stopped.
 */
import type { Hex } from "viem";
import type { Order } from "@clearmatch/protocol";

/** Where the watchtower gets the signed orders fills name (the sequencer's feed, or a trader's own). */
export interface OrderSource {
  /** Brings the source up to date (for a feed: pages in what was accepted since the last sync). */
  sync(): Promise<void>;
  /** The order with this EIP-712 hash, if the source has it. */
  get(orderHash: Hex): Order | undefined;
}

/** An order source over a fixed set of signed orders (a trader's own, or a test's). */
export class MapOrderSource implements OrderSource {
  readonly #orders = new Map<string, Order>();
  add(orderHash: Hex, order: Order): void {
    this.#orders.set(orderHash.toLowerCase(), order);
  }
  async sync(): Promise<void> {}
  get(orderHash: Hex): Order | undefined {
    return this.#orders.get(orderHash.toLowerCase());
  }
}

/** The order feed of a sequencer (`GET /v1/feed/orders`), paged in from where it last stopped. */
export class FeedOrderSource implements OrderSource {
  readonly #orders = new Map<string, Order>();
  #after: string | undefined;

  constructor(
    readonly client: {
      getAcceptedOrdersPage(options: { after?: string; limit?: number }): Promise<{
        items: readonly { orderHash: Hex; order: Order; seq: number }[];
        nextCursor?: string;
      }>;
    },
  ) {}

  /** Orders held. */
  get size(): number {
    return this.#orders.size;
  }

  async sync(): Promise<void> {
    for (;;) {
      const page = await this.client.getAcceptedOrdersPage({
        limit: 1_000,
        ...(this.#after !== undefined ? { after: this.#after } : {}),
      });
      for (const o of page.items) this.#orders.set(o.orderHash.toLowerCase(), o.order);
      const last = page.items.at(-1);
      if (last) this.#after = String(last.seq);
      if (page.nextCursor === undefined) return;
    }
  }

  get(orderHash: Hex): Order | undefined {
    return this.#orders.get(orderHash.toLowerCase());
  }
}
