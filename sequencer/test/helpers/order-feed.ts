/**
 * A stand-in for the sequencer's order feed (`GET /v1/feed/orders?after=<seq>`, the wire shape
 * `FeedOrderSource` pages through), serving the signed orders `orders()` returns, in that order.
 */
import { createServer } from "node:http";
import type { Hex } from "viem";
import { encodeOrder } from "../../../sdk/src/wire.js";
import type { Order } from "@clearmatch/protocol";

export interface FeedServer {
  readonly url: string;
  close(): Promise<void>;
}

export async function serveOrderFeed(
  orders: () => readonly { hash: Hex; order: Order; signature: Hex }[],
): Promise<FeedServer> {
  const server = createServer((req, res) => {
    const after = Number(new URL(req.url!, "http://x").searchParams.get("after") ?? "0");
    const items = orders()
      .map((o, i) => ({
        orderHash: o.hash,
        order: encodeOrder(o.order),
        signature: o.signature,
        status: "open",
        filled: "0",
        acceptedAt: 0,
        seq: i + 1,
      }))
      .filter((o) => o.seq > after);
    res.setHeader("content-type", "application/json");
    res.end(JSON.stringify({ orders: items }));
  });
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((done) => server.close(() => done())),
  };
}
