/**
 * Puts the REST app and the WebSocket hub on one HTTP server, and closes them gracefully:
 * stop accepting, drop stream clients, let in-flight requests finish for up to
 * `shutdownGraceMs`, then cut what remains.
 */
import { createServer, STATUS_CODES, type RequestListener, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Duplex } from "node:stream";
import { ClearmatchError } from "../errors/clearmatch-error.js";
import type { ErrorCode } from "../errors/error-codes.js";
import type { Logger } from "../logging/logger.js";
import { errorBody } from "./error-handler.js";
import { ANSWER_HEADERS } from "./fast-intake.js";
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

/** Codes of Node's HTTP parser and server errors, and the error codes they are answered with. */
const CLIENT_ERRORS: Readonly<Record<string, ErrorCode>> = {
  HPE_HEADER_OVERFLOW: "HEADERS_TOO_LARGE",
  HPE_CHUNK_EXTENSIONS_OVERFLOW: "PAYLOAD_TOO_LARGE",
  ERR_HTTP_REQUEST_TIMEOUT: "REQUEST_TIMEOUT",
};

/**
 * The server's `clientError` listener: what Node's HTTP parser refuses (a malformed request line
 * or header, headers too large, a request that did not arrive in time) gets the API's JSON error
 * body with its status, and the connection is closed. Node's default answer has no body.
 */
export function answerClientError(error: Error & { code?: string }, socket: Duplex): void {
  const response = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
  if (error.code === "ECONNRESET" || !socket.writable || response?.headersSent) {
    socket.destroy();
    return;
  }
  const failure = new ClearmatchError(CLIENT_ERRORS[error.code ?? ""] ?? "BAD_REQUEST");
  const body = JSON.stringify(errorBody(failure));
  const headers = {
    ...ANSWER_HEADERS,
    "Content-Type": "application/json; charset=utf-8",
    "Content-Length": String(Buffer.byteLength(body)),
    Connection: "close",
  };
  socket.end(
    `HTTP/1.1 ${failure.status} ${STATUS_CODES[failure.status] ?? ""}\r\n` +
      Object.entries(headers)
        .map(([name, value]) => `${name}: ${value}\r\n`)
        .join("") +
      `\r\n${body}`,
  );
}

export async function startHttpServer(options: HttpServerOptions): Promise<HttpServer> {
  const host = options.host ?? "127.0.0.1";
  const port = options.port ?? 8080;
  const shutdownGraceMs = options.shutdownGraceMs ?? 5_000;
  const requestTimeout = options.requestTimeoutMs ?? 30_000;
  // Timeouts are checked at this interval (Node's default, 30 s, would let a short timeout run
  // over by that much).
  const server = createServer(
    { connectionsCheckingInterval: Math.min(30_000, Math.max(250, requestTimeout / 4)) },
    options.app,
  );
  server.requestTimeout = requestTimeout;
  server.on("clientError", answerClientError);
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
