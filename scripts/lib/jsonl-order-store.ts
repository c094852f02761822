/**
 * A trader's signed orders in an append-only JSON-lines file (`{"orderHash", "order"}` per line,
 * amounts as decimal strings): the client that signs appends (`add`), a watch in another process
 * reads what was appended since it last looked (`sync`). It is what `npm run watch-my-fills`
 * judges the trader's fills by, so the orders live with the trader, not with the sequencer.
 * A line cut short by a crash mid-append is left for the next `sync` (it ends without a newline).
 */
import { appendFileSync, closeSync, fstatSync, mkdirSync, openSync, readSync } from "node:fs";
import { dirname } from "node:path";
import type { Hex } from "viem";
import { decodeOrder, encodeOrder } from "@clearmatch/sdk";
import type { Order } from "@clearmatch/protocol";

export class JsonlOrderStore {
  readonly #orders = new Map<string, Order>();
  #offset = 0;
  #partial = "";
  #dirMade = false;

  constructor(readonly path: string) {}

  /** Orders held. */
  get size(): number {
    return this.#orders.size;
  }

  add(orderHash: Hex, order: Order): void {
    if (!this.#dirMade) mkdirSync(dirname(this.path), { recursive: true });
    this.#dirMade = true;
    appendFileSync(this.path, `${JSON.stringify({ orderHash, order: encodeOrder(order) })}\n`);
    this.#orders.set(orderHash.toLowerCase(), order);
  }

  async sync(): Promise<void> {
    let fd: number;
    try {
      fd = openSync(this.path, "r");
    } catch (error) {
      if ((error as { code?: string }).code === "ENOENT") return; // nothing signed yet
      throw error;
    }
    try {
      const size = fstatSync(fd).size;
      if (size <= this.#offset) return;
      const buffer = Buffer.alloc(size - this.#offset);
      readSync(fd, buffer, 0, buffer.length, this.#offset);
      this.#offset = size;
      const lines = (this.#partial + buffer.toString("utf8")).split("\n");
      this.#partial = lines.pop() ?? "";
      for (const line of lines) {
        if (line.trim() === "") continue;
        const { orderHash, order } = JSON.parse(line) as { orderHash: Hex; order: unknown };
        this.#orders.set(orderHash.toLowerCase(), decodeOrder(order));
      }
    } finally {
      closeSync(fd);
    }
  }

  get(orderHash: Hex): Order | undefined {
    return this.#orders.get(orderHash.toLowerCase());
  }
}
