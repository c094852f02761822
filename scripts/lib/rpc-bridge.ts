/**
 * Serves an EIP-1193 provider (e.g. a Hardhat in-process simulated network) as a JSON-RPC endpoint
 * on 127.0.0.1, for tools that only speak HTTP JSON-RPC (lib-sourcify's `SourcifyChain`).
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export interface Eip1193Provider {
  request(args: { method: string; params?: unknown[] | object }): Promise<unknown>;
}

interface JsonRpcRequest {
  id?: number | string | null;
  method: string;
  params?: unknown[];
}

async function answer(provider: Eip1193Provider, call: JsonRpcRequest) {
  try {
    const result = await provider.request({ method: call.method, params: call.params ?? [] });
    return { jsonrpc: "2.0", id: call.id ?? null, result };
  } catch (e) {
    const err = e as { code?: number; message?: string; data?: unknown };
    return {
      jsonrpc: "2.0",
      id: call.id ?? null,
      error: { code: err.code ?? -32603, message: err.message ?? String(e), data: err.data },
    };
  }
}

/** Starts the bridge on a free port; `close()` stops it. */
export async function serveProvider(
  provider: Eip1193Provider,
): Promise<{ url: string; close: () => Promise<void> }> {
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", async () => {
      let body: unknown;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString("utf8"));
      } catch {
        res.writeHead(400).end();
        return;
      }
      const reply = Array.isArray(body)
        ? await Promise.all(body.map((c: JsonRpcRequest) => answer(provider, c)))
        : await answer(provider, body as JsonRpcRequest);
      res.writeHead(200, { "content-type": "application/json" });
      res.end(
        JSON.stringify(reply, (_k, v: unknown) =>
          typeof v === "bigint" ? `0x${v.toString(16)}` : v,
        ),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve, reject) => server.close((e) => (e ? reject(e) : resolve()))),
  };
}
