/**
 * Options of `ClearmatchClient`, with every default applied here and nowhere else.
 */
import type { Address, PublicClient } from "viem";
import type { AnyWalletClient } from "./onchain-actions.js";
import {
  resolveOrderDefaults,
  type OrderDefaults,
  type ResolvedOrderDefaults,
} from "./order-params.js";
import { MapOrderSource } from "./order-sources.js";
import type { SignedOrderStore } from "./watch-my-fills.js";
import { defaultWebSocket, type ReconnectOptions, type WebSocketConstructor } from "./stream.js";

export interface ClearmatchClientOptions {
  /** The sequencer's root URL, e.g. `https://api.clearmatch.example` (a trailing `/v1` is dropped). */
  readonly baseUrl: string;
  /** Chain of the settlement contract: part of the EIP-712 domain every order is signed under. */
  readonly chainId: number;
  /** The settlement proxy: the domain's `verifyingContract` and the target of on-chain calls. */
  readonly settlement: Address;
  /**
   * Signs orders and cancels and sends on-chain transactions. Any viem wallet client: a local
   * account (`privateKeyToAccount`) or a browser wallet over EIP-1193 (`custom(window.ethereum)`).
   * Default: none (read-only client; signing and on-chain methods throw `WALLET_REQUIRED`).
   */
  readonly wallet?: AnyWalletClient | undefined;
  /**
   * Reads the chain: allowances, receipts, the on-chain batch root in `verifyFillProof`, ERC-1271
   * signatures. Default: none (on-chain methods throw `PUBLIC_CLIENT_REQUIRED`; `verifyFillProof`
   * checks off-chain only).
   */
  readonly publicClient?: PublicClient | undefined;
  /** `fetch` implementation. Default: `globalThis.fetch`. */
  readonly fetch?: typeof globalThis.fetch;
  /** Per-request timeout; 0 disables it. Default: 10000 ms. */
  readonly requestTimeoutMs?: number;
  /** Stream URL. Default: `baseUrl` with `ws:`/`wss:` and the path `/v1/stream`. */
  readonly streamUrl?: string;
  /** WebSocket implementation. Default: the `ws` package in Node, the global `WebSocket` in browsers. */
  readonly WebSocket?: WebSocketConstructor;
  /** Stream reconnect policy. Default: 250 ms doubling to 30 s, unlimited attempts. */
  readonly reconnect?: ReconnectOptions;
  /** Defaults of `buildOrder`. Default: one-day TTL, maxFeeBps 30, clock nonces. */
  readonly orderDefaults?: OrderDefaults;
  /** Wall clock, ms since the epoch (expiry and clock nonces). Default: `Date.now`. */
  readonly now?: () => number;
  /**
   * Where `signOrder` keeps every order it signs, for `watchMyFills` (a store that persists them
   * lets the watch survive a restart of the client). Default: in memory.
   */
  readonly signedOrders?: SignedOrderStore;
}

export interface ResolvedClientOptions {
  readonly baseUrl: string;
  readonly chainId: number;
  readonly settlement: Address;
  readonly wallet: AnyWalletClient | undefined;
  readonly publicClient: PublicClient | undefined;
  readonly fetch: typeof globalThis.fetch;
  readonly requestTimeoutMs: number;
  readonly streamUrl: string;
  readonly WebSocket: () => Promise<WebSocketConstructor>;
  readonly reconnect: { initialDelayMs: number; maxDelayMs: number; maxAttempts: number };
  readonly orderDefaults: ResolvedOrderDefaults;
  readonly now: () => number;
  readonly signedOrders: SignedOrderStore;
}

export function resolveClientOptions(options: ClearmatchClientOptions): ResolvedClientOptions {
  const baseUrl = options.baseUrl.replace(/\/+$/, "").replace(/\/v1$/, "");
  const stream = new URL(`${baseUrl}/v1/stream`);
  stream.protocol = stream.protocol === "https:" ? "wss:" : "ws:";
  const fetchImpl = options.fetch ?? globalThis.fetch;
  const WebSocketImpl = options.WebSocket;
  return {
    baseUrl,
    chainId: options.chainId,
    settlement: options.settlement,
    wallet: options.wallet,
    publicClient: options.publicClient,
    // Bound: a detached `window.fetch` throws "Illegal invocation" in browsers.
    fetch: (input, init) => fetchImpl(input, init),
    requestTimeoutMs: options.requestTimeoutMs ?? 10_000,
    streamUrl: options.streamUrl ?? stream.toString(),
    WebSocket: WebSocketImpl ? async () => WebSocketImpl : defaultWebSocket,
    reconnect: {
      initialDelayMs: options.reconnect?.initialDelayMs ?? 250,
      maxDelayMs: options.reconnect?.maxDelayMs ?? 30_000,
      maxAttempts: options.reconnect?.maxAttempts ?? Number.POSITIVE_INFINITY,
    },
    orderDefaults: resolveOrderDefaults(options.orderDefaults),
    now: options.now ?? Date.now,
    signedOrders: options.signedOrders ?? new MapOrderSource(),
  };
}
