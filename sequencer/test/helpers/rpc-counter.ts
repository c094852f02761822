import { createServer, type Server } from "node:http";

/** A JSON-RPC HTTP proxy in front of `target` that counts the calls it forwards, by method. */
export interface RpcCounter {
  readonly url: string;
  /** Calls forwarded so far, by method (batched calls counted one by one). */
  readonly counts: Map<string, number>;
  /** Calls of `methods` (all when none) forwarded so far. */
  count(...methods: string[]): number;
  close(): Promise<void>;
}

export async function startRpcCounter(target: string): Promise<RpcCounter> {
  const counts = new Map<string, number>();
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks);
      try {
        const parsed = JSON.parse(body.toString()) as { method?: string } | { method?: string }[];
        for (const call of Array.isArray(parsed) ? parsed : [parsed]) {
          const method = String(call.method);
          counts.set(method, (counts.get(method) ?? 0) + 1);
        }
      } catch {
        // Forwarded as it is: the node answers it.
      }
      fetch(target, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body,
      }).then(
        async (answer) => {
          const text = await answer.text();
          res.writeHead(answer.status, { "content-type": "application/json" });
          res.end(text);
        },
        () => res.destroy(),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    counts,
    count: (...methods) =>
      [...counts].reduce(
        (sum, [m, n]) => (methods.length === 0 || methods.includes(m) ? sum + n : sum),
        0,
      ),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
