/**
 * The WebSocket stream (`/v1/stream`, see `sequencer/src/api/ws-hub.ts`): one connection per
 * `subscribe` call, reconnected with exponential backoff and resubscribed after every
 * reconnect. Works with the `ws` package in Node and the global `WebSocket` in browsers (both
 * speak the WHATWG `WebSocket` interface used here).
 *
 * Events may be missed while disconnected: after a reconnect (`onStateChange("open")` after
 * `"reconnecting"`), resync state over REST (the book's `sequence` tells whether it moved).
 */
import { getAddress, type Address } from "viem";
import { ClearmatchApiError, ClearmatchClientError } from "./client-errors.js";

/** A server event on a channel. `data` is the wire JSON: amounts are decimal strings. */
export interface StreamEvent {
  /** Canonical channel name (`account:` addresses checksummed). */
  readonly channel: string;
  /** Event name, e.g. `snapshot`, `update`, `trade`, `fill`, `bust`, `batch`. */
  readonly event: string;
  readonly data: unknown;
}

export type StreamState = "connecting" | "open" | "reconnecting" | "closed";

/** The subset of the WHATWG WebSocket the stream uses (browsers' and `ws`'s). */
export interface WebSocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: ((event: unknown) => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
  onclose: ((event: { code: number; reason: string }) => void) | null;
  onerror: ((event: unknown) => void) | null;
}

export type WebSocketConstructor = new (url: string) => WebSocketLike;

/** Reconnect policy. */
export interface ReconnectOptions {
  /** First delay after a drop. Default: 250 ms. */
  readonly initialDelayMs?: number;
  /** Cap of the doubling delay. Default: 30000 ms. */
  readonly maxDelayMs?: number;
  /** Give up after this many failed attempts in a row (then state `closed`). Default: unlimited. */
  readonly maxAttempts?: number;
}

export interface SubscribeOptions {
  /** Error frames from the server and connection faults. Default: ignored. */
  readonly onError?: (error: ClearmatchClientError) => void;
  /** Connection state changes. Default: ignored. */
  readonly onStateChange?: (state: StreamState) => void;
}

export interface StreamSubscription {
  /** Resolves when the server confirmed the first subscription; rejects if it refused it. */
  readonly ready: Promise<void>;
  /** The channels currently subscribed (kept across reconnects). */
  readonly channels: readonly string[];
  readonly state: StreamState;
  /** Subscribes to more channels on the same connection. */
  add(channels: readonly string[]): void;
  /** Unsubscribes from some channels. */
  remove(channels: readonly string[]): void;
  /** Closes the connection for good (no reconnect). */
  close(): void;
}

/** Channel names (`ws-hub.ts`). */
export const streamChannels = {
  /** Book snapshots and updates of a market. */
  book: (marketId: number) => `book:${marketId}`,
  /** Trades of a market. */
  trades: (marketId: number) => `trades:${marketId}`,
  /** An account's orders, fills and busts. */
  account: (account: Address) => `account:${getAddress(account)}`,
  /** Batch life-cycle (committed, finalized, rolled back). */
  batches: "batches",
  /** The order feed: every order the sequencer accepts, signed, with its `seq` (event `order`). */
  orders: "orders",
} as const;

const OPEN = 1;

export interface StreamConnectionOptions {
  readonly url: string;
  readonly WebSocket: () => Promise<WebSocketConstructor>;
  readonly reconnect: Required<Omit<ReconnectOptions, "maxAttempts">> & {
    readonly maxAttempts: number;
  };
}

/** Opens a stream subscription; see `ClearmatchClient.subscribe`. */
export function openStream(
  channels: readonly string[],
  onMessage: (event: StreamEvent) => void,
  connection: StreamConnectionOptions,
  options: SubscribeOptions = {},
): StreamSubscription {
  const subscribed = new Set(channels);
  let socket: WebSocketLike | undefined;
  let state: StreamState = "connecting";
  let attempts = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let nextId = 1;
  let firstId: number | undefined;
  let settled = false;
  let resolveReady!: () => void;
  let rejectReady!: (error: unknown) => void;
  const ready = new Promise<void>((resolve, reject) => {
    resolveReady = resolve;
    rejectReady = reject;
  });
  ready.catch(() => undefined); // callers that never await `ready` get no unhandled rejection

  const setState = (next: StreamState) => {
    if (state === next) return;
    state = next;
    options.onStateChange?.(next);
  };
  const settle = (error?: ClearmatchClientError) => {
    if (settled) return;
    settled = true;
    if (error) rejectReady(error);
    else resolveReady();
  };
  /** Sends on an open socket and returns the message id; undefined when not connected
   * (the channels are then sent on the next open). */
  const send = (message: Record<string, unknown>): number | undefined => {
    if (socket?.readyState !== OPEN) return undefined;
    const id = nextId++;
    socket.send(JSON.stringify({ ...message, id }));
    return id;
  };

  const onFrame = (raw: unknown) => {
    let frame: Record<string, unknown>;
    try {
      frame = JSON.parse(typeof raw === "string" ? raw : String(raw)) as Record<string, unknown>;
    } catch (error) {
      options.onError?.(
        new ClearmatchClientError("BAD_RESPONSE", "stream frame is not JSON", { cause: error }),
      );
      return;
    }
    if (frame["type"] === "event") {
      onMessage({
        channel: String(frame["channel"]),
        event: String(frame["event"]),
        data: frame["data"],
      });
    } else if (frame["type"] === "subscribed") {
      if (frame["id"] === firstId) settle();
    } else if (frame["type"] === "error") {
      const error = new ClearmatchApiError(
        String(frame["code"]),
        String(frame["message"] ?? frame["code"]),
        undefined,
      );
      if (frame["id"] !== undefined && frame["id"] === firstId) settle(error);
      options.onError?.(error);
    }
  };

  const connect = async () => {
    setState(attempts === 0 ? "connecting" : "reconnecting");
    let Ctor: WebSocketConstructor;
    try {
      Ctor = await connection.WebSocket();
    } catch (error) {
      const failure = new ClearmatchClientError("NETWORK_ERROR", "no WebSocket implementation", {
        cause: error,
      });
      settle(failure);
      options.onError?.(failure);
      setState("closed");
      return;
    }
    if (state === "closed") return;
    const ws = new Ctor(connection.url);
    socket = ws;
    ws.onopen = () => {
      attempts = 0;
      setState("open");
      if (subscribed.size > 0) {
        const id = send({ op: "subscribe", channels: [...subscribed] });
        firstId ??= id;
      }
    };
    ws.onmessage = (event) => onFrame(event.data);
    ws.onerror = (event) => {
      const cause = (event as { error?: unknown }).error ?? event;
      options.onError?.(
        new ClearmatchClientError("NETWORK_ERROR", "stream connection error", { cause }),
      );
    };
    ws.onclose = () => {
      if (socket !== ws) return;
      socket = undefined;
      if (state === "closed") return;
      attempts += 1;
      if (attempts > connection.reconnect.maxAttempts) {
        settle(
          new ClearmatchClientError("NETWORK_ERROR", "stream closed; reconnect attempts exhausted"),
        );
        setState("closed");
        return;
      }
      setState("reconnecting");
      const base = Math.min(
        connection.reconnect.maxDelayMs,
        connection.reconnect.initialDelayMs * 2 ** (attempts - 1),
      );
      // Full jitter in [base/2, base]: clients dropped together do not reconnect together.
      timer = setTimeout(() => void connect(), base / 2 + Math.random() * (base / 2));
    };
  };
  void connect();

  return {
    ready,
    get channels() {
      return [...subscribed];
    },
    get state() {
      return state;
    },
    add(more) {
      const added = more.filter((c) => !subscribed.has(c));
      for (const c of added) subscribed.add(c);
      if (added.length > 0) {
        const id = send({ op: "subscribe", channels: added });
        firstId ??= id;
      }
    },
    remove(less) {
      const removed = less.filter((c) => subscribed.delete(c));
      if (removed.length > 0) send({ op: "unsubscribe", channels: removed });
    },
    close() {
      if (state === "closed") return;
      clearTimeout(timer);
      setState("closed");
      settle(new ClearmatchClientError("NETWORK_ERROR", "stream closed before it was ready"));
      const ws = socket;
      socket = undefined;
      ws?.close(1000, "client closed");
    },
  };
}

/** `ws` in Node (no global WebSocket needed), the global `WebSocket` in browsers. */
export async function defaultWebSocket(): Promise<WebSocketConstructor> {
  const isNode = typeof process !== "undefined" && process.versions?.node !== undefined;
  if (!isNode && typeof globalThis.WebSocket === "function")
    return globalThis.WebSocket as unknown as WebSocketConstructor;
  const ws = await import("ws");
  return ws.WebSocket as unknown as WebSocketConstructor;
}
