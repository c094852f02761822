/**
 * Puts the REST app and the WebSocket hub on one HTTP server, and closes them gracefully:
 * stop accepting, drop stream clients, let in-flight requests finish for up to
 * `shutdownGraceMs`, then cut what remains.
 */
import { createServer, type RequestListener, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Logger } from "../logging/logger.js";
import { createWsHub, type WsHub, type WsHubOptions } from "./ws-hub.js";

export interface HttpServerOptions {
  /** The app's request listener (`createApp`). */
  readonly app: RequestListener;
  readonly logger: Logger;
  /** Interface to bind. Default: `127.0.0.1` (config HOST). */
  readonly host?: string;
  /** Port; 0 picks a free one. Default: 8080 (config PORT). */
  readonly port?: number;
  /** Stream options other than the server and logger. Default: the hub's defaults. */
  readonly stream?: Omit<WsHubOptions, "server" | "logger">;
  /** Longest time a request may take to arrive completely. Default: 30000 ms. */
  readonly requestTimeoutMs?: number;
  /** How long `close` waits for in-flight requests. Default: 5000 ms. */
  readonly shutdownGraceMs?: number;
}

export interface HttpServer {
  readonly server: Server;
  readonly hub: WsHub;
  /** Where it listens (the actual port when 0 was asked). */
  readonly address: AddressInfo;
  close(): Promise<void>;
}

export async function startHttpServer(options: HttpServerOptions): Promise<HttpServer> {
  const host = options.host ?? "127.0.0.1";
  const port = options.port ?? 8080;
  const shutdownGraceMs = options.shutdownGraceMs ?? 5_000;
  const server = createServer(options.app);
  server.requestTimeout = options.requestTimeoutMs ?? 30_000;
  const hub = createWsHub({ ...options.stream, server, logger: options.logger });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  options.logger.info({ host: address.address, port: address.port }, "http: listening");

  return {
    server,
    hub,
    address,
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      await hub.close();
      server.closeIdleConnections();
      const grace = setTimeout(() => server.closeAllConnections(), shutdownGraceMs);
      await closed;
      clearTimeout(grace);
      options.logger.info("http: closed");
    },
  };
}
