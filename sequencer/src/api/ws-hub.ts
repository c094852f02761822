/**
 * The WebSocket stream at `/v1/stream`, on the same HTTP server as the REST API.
 *
 * Client → server (JSON text frames):
 *   { "op": "subscribe",   "channels": ["book:1", "trades:1", "account:0x…", "batches", "orders"], "id"?: … }
 *   { "op": "unsubscribe", "channels": [...], "id"?: … }
 *   { "op": "ping", "id"?: … }
 * Server → client:
 *   { "type": "subscribed" | "unsubscribed", "channels": [...], "id"? }
 *   { "type": "pong", "id"? }
 *   { "type": "event", "channel", "event", "data" }     (bigints as decimal strings)
 *   { "type": "error", "code", "message", "id"? }        (codes from the error registry)
 *
 * A malformed message gets an error frame and the connection stays open. Channel names are
 * canonicalised (`account:` addresses checksummed, market ids without leading zeros), so a
 * subscription and a publication always meet. Slow consumers whose send buffer exceeds
 * `maxBufferedBytes` are disconnected (close code 1013) rather than buffering without bound;
 * peers that miss a heartbeat are terminated.
 */
import type { Server } from "node:http";
import { parseAddressStrict } from "@clearmatch/protocol";
import { WebSocket, WebSocketServer, type RawData } from "ws";
import { ClearmatchError } from "../errors/clearmatch-error.js";
import type { ErrorCode } from "../errors/error-codes.js";
import type { Logger } from "../logging/logger.js";
import { wsClientMessageSchema } from "./schemas.js";

export interface WsHubOptions {
  /** The HTTP server the REST app listens on. */
  readonly server: Server;
  readonly logger: Logger;
  /** Upgrade path. Default: `/v1/stream`. */
  readonly path?: string;
  /** Channels per client. Default: 100 (config WS_MAX_SUBSCRIPTIONS). */
  readonly maxSubscriptions?: number;
  /** Largest client frame; larger ones close the connection (1009). Default: 4096 bytes. */
  readonly maxPayloadBytes?: number;
  /** Send buffer above which a client is dropped. Default: 4 MiB. */
  readonly maxBufferedBytes?: number;
  /** Ping interval; a peer silent for one interval is terminated. 0 disables. Default: 30000 ms. */
  readonly heartbeatMs?: number;
  /**
   * Called after a subscription; what it returns is sent to that client alone as an event
   * (for example a book snapshot before the incremental updates). Default: nothing.
   */
  readonly snapshot?: (
    channel: string,
  ) =>
    | Promise<{ event: string; data: unknown } | undefined>
    | { event: string; data: unknown }
    | undefined;
}

export interface WsHub {
  /** Sends an event to every subscriber of `channel`; returns how many clients got it. */
  publish(channel: string, event: string, data: unknown): number;
  readonly clientCount: number;
  subscriberCount(channel: string): number;
  /**
   * Whether a canonical channel name (`book:1`, `account:<checksummed address>`, ...) has a
   * subscriber: a Map lookup, no parsing. Publishers ask before building an event's data.
   */
  hasSubscribers(canonicalChannel: string): boolean;
  /** Disconnects every client and stops accepting new ones (the HTTP server stays open). */
  close(): Promise<void>;
}

const MAX_MARKET_ID = 0xffff_ffff;

/** The canonical form of a channel name, or undefined when it names no channel. */
export function parseChannel(raw: string): string | undefined {
  if (raw === "batches" || raw === "orders") return raw;
  const colon = raw.indexOf(":");
  if (colon < 0) return undefined;
  const kind = raw.slice(0, colon);
  const arg = raw.slice(colon + 1);
  if (kind === "book" || kind === "trades") {
    if (!/^(0|[1-9][0-9]{0,9})$/.test(arg) || Number(arg) > MAX_MARKET_ID) return undefined;
    return `${kind}:${arg}`;
  }
  if (kind === "account") {
    const address = parseAddressStrict(arg);
    return address ? `account:${address}` : undefined;
  }
  return undefined;
}

function stringify(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => (typeof v === "bigint" ? v.toString() : v));
}

interface Client {
  readonly channels: Set<string>;
  alive: boolean;
}

export function createWsHub(options: WsHubOptions): WsHub {
  const path = options.path ?? "/v1/stream";
  const maxSubscriptions = options.maxSubscriptions ?? 100;
  const maxBufferedBytes = options.maxBufferedBytes ?? 4 * 1024 * 1024;
  const heartbeatMs = options.heartbeatMs ?? 30_000;
  const { logger } = options;

  const wss = new WebSocketServer({
    server: options.server,
    path,
    maxPayload: options.maxPayloadBytes ?? 4096,
  });
  const clients = new Map<WebSocket, Client>();
  const subscribers = new Map<string, Set<WebSocket>>();

  const send = (socket: WebSocket, frame: string) => {
    if (socket.readyState !== WebSocket.OPEN) return false;
    if (socket.bufferedAmount > maxBufferedBytes) {
      socket.close(1013, "slow consumer");
      return false;
    }
    socket.send(frame);
    return true;
  };

  const sendError = (socket: WebSocket, code: ErrorCode, message: string, id?: unknown) => {
    const error = new ClearmatchError(code, message);
    send(socket, stringify({ type: "error", code: error.code, message: error.message, id }));
  };

  const unsubscribe = (socket: WebSocket, client: Client, channel: string) => {
    client.channels.delete(channel);
    const set = subscribers.get(channel);
    set?.delete(socket);
    if (set?.size === 0) subscribers.delete(channel);
  };

  const onMessage = async (socket: WebSocket, client: Client, data: RawData, isBinary: boolean) => {
    if (isBinary) return sendError(socket, "UNSUPPORTED_MEDIA_TYPE", "send JSON text frames");
    let json: unknown;
    try {
      json = JSON.parse(data.toString());
    } catch {
      return sendError(socket, "MALFORMED_JSON", "the message is not valid JSON");
    }
    const parsed = wsClientMessageSchema.safeParse(json);
    if (!parsed.success) {
      const id =
        typeof json === "object" && json !== null ? (json as { id?: unknown }).id : undefined;
      const issue = parsed.error.issues[0];
      const where = issue && issue.path.length > 0 ? `${issue.path.join(".")}: ` : "";
      return sendError(socket, "VALIDATION_FAILED", `${where}${issue?.message ?? "invalid"}`, id);
    }
    const message = parsed.data;
    if (message.op === "ping") return send(socket, stringify({ type: "pong", id: message.id }));

    const channels: string[] = [];
    for (const raw of message.channels) {
      const channel = parseChannel(raw);
      if (channel === undefined) {
        return sendError(
          socket,
          "VALIDATION_FAILED",
          `unknown channel ${JSON.stringify(raw)}`,
          message.id,
        );
      }
      channels.push(channel);
    }
    if (message.op === "unsubscribe") {
      for (const channel of channels) unsubscribe(socket, client, channel);
      return send(socket, stringify({ type: "unsubscribed", channels, id: message.id }));
    }
    const added = channels.filter((c) => !client.channels.has(c));
    if (client.channels.size + new Set(added).size > maxSubscriptions) {
      return sendError(
        socket,
        "TOO_MANY_SUBSCRIPTIONS",
        `at most ${maxSubscriptions} channels per connection`,
        message.id,
      );
    }
    for (const channel of added) {
      client.channels.add(channel);
      let set = subscribers.get(channel);
      if (!set) subscribers.set(channel, (set = new Set()));
      set.add(socket);
    }
    send(socket, stringify({ type: "subscribed", channels, id: message.id }));
    if (options.snapshot) {
      for (const channel of added) {
        const snap = await options.snapshot(channel);
        if (snap)
          send(socket, stringify({ type: "event", channel, event: snap.event, data: snap.data }));
      }
    }
  };

  wss.on("connection", (socket) => {
    const client: Client = { channels: new Set(), alive: true };
    clients.set(socket, client);
    socket.on("pong", () => {
      client.alive = true;
    });
    socket.on("message", (data, isBinary) => {
      onMessage(socket, client, data, isBinary).catch((error: unknown) => {
        logger.error({ err: error }, "ws: message handling failed");
        sendError(socket, "INTERNAL", "internal error");
      });
    });
    socket.on("error", (error) => logger.debug({ err: error }, "ws: client error"));
    socket.on("close", () => {
      for (const channel of [...client.channels]) unsubscribe(socket, client, channel);
      clients.delete(socket);
    });
  });
  wss.on("error", (error) => logger.error({ err: error }, "ws: server error"));

  const heartbeat =
    heartbeatMs > 0
      ? setInterval(() => {
          for (const [socket, client] of clients) {
            if (!client.alive) {
              socket.terminate();
              continue;
            }
            client.alive = false;
            socket.ping();
          }
        }, heartbeatMs)
      : undefined;
  heartbeat?.unref();

  return {
    publish(channel, event, data) {
      const canonical = parseChannel(channel);
      if (canonical === undefined) throw new RangeError(`not a stream channel: ${channel}`);
      const set = subscribers.get(canonical);
      if (!set || set.size === 0) return 0;
      const frame = stringify({ type: "event", channel: canonical, event, data });
      let delivered = 0;
      for (const socket of set) if (send(socket, frame)) delivered += 1;
      return delivered;
    },
    get clientCount() {
      return clients.size;
    },
    hasSubscribers(canonicalChannel) {
      return (subscribers.get(canonicalChannel)?.size ?? 0) > 0;
    },
    subscriberCount(channel) {
      const canonical = parseChannel(channel);
      return canonical === undefined ? 0 : (subscribers.get(canonical)?.size ?? 0);
    },
    close() {
      clearInterval(heartbeat);
      for (const socket of clients.keys()) socket.terminate();
      return new Promise((resolve, reject) =>
        wss.close((error) => (error ? reject(error) : resolve())),
      );
    },
  };
}
