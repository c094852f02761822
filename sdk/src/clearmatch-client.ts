/**
 * `ClearmatchClient`: a typed client for traders. Builds and signs orders and cancels with any
 * viem wallet client (local keys, or browser wallets through EIP-1193), submits and queries
 * over the REST API, streams over the WebSocket, checks fill proofs locally, and makes the
 * trader's on-chain calls (deposit, withdrawal, on-chain cancel, nonce invalidation, challenge).
 *
 * Hashing and types come from the shared protocol package (`@clearmatch/protocol`, `protocol/`),
 * the server's own definitions, so client and server cannot disagree on a digest.
 */
import {
  type AcceptedOrderView,
  type BalanceView,
  type BatchView,
  type BookView,
  type CancelResult,
  type ExchangeInfo,
  type FillProofView,
  type FillView,
  type MarketView,
  type OrderView,
  type SubmitOrderResult,
  type TradeView,
  type SignedCancel,
  type SignedOrder,
  settlementAbi,
  OrderHasher,
  cancelTypes,
  clearmatchDomain,
  orderTypes,
  type ClearmatchDomain,
  type Order,
  hashFillLeaf,
  processProof,
} from "@clearmatch/protocol";
import type { Account, Address, Hex, PublicClient } from "viem";
import { ClearmatchApiError, ClearmatchClientError } from "./client-errors.js";
import { watchMyFills, type SignedOrderStore, type WatchMyFillsOptions } from "./watch-my-fills.js";
import type { Watchtower } from "./watchtower.js";
import {
  resolveClientOptions,
  type ClearmatchClientOptions,
  type ResolvedClientOptions,
} from "./client-options.js";
import { HttpTransport } from "./http-transport.js";
import {
  challengeFill,
  deposit,
  send,
  type AnyWalletClient,
  type DepositResult,
  type OnChainContext,
  type TxResult,
} from "./onchain-actions.js";
import { clockNonce, orderFromParams, randomUint64, type OrderParams } from "./order-params.js";
import {
  openStream,
  type StreamEvent,
  type StreamSubscription,
  type SubscribeOptions,
} from "./stream.js";
import { verifyFillProof, type FillProofVerification } from "./verify-fill-proof.js";
import {
  decodeBalance,
  decodeAcceptedOrder,
  decodeBatch,
  decodeBook,
  decodeCancelResult,
  decodeExchangeInfo,
  decodeFill,
  decodeFillProof,
  decodeList,
  decodeMarket,
  decodeOrderView,
  decodeSubmitOrderResult,
  decodeTrade,
  encodeSignedCancel,
  encodeSignedOrder,
} from "./wire.js";

/** A signed order with its id (the EIP-712 digest). */
export interface SignedOrderWithHash extends SignedOrder {
  readonly orderHash: Hex;
}

/** One order of `submitOrders`: accepted (`status` 201 new, 200 duplicate) or refused. */
export type SubmitOrdersItem =
  | { readonly ok: true; readonly status: number; readonly result: SubmitOrderResult }
  | { readonly ok: false; readonly status: number; readonly error: ClearmatchApiError };

/** `{ limit }` of list queries: 1..1000, server default 100. */
export interface ListOptions {
  readonly limit?: number;
}

/** Account orders and fills: `after` is the previous page's `nextCursor`. */
export interface PageOptions extends ListOptions {
  readonly after?: string;
}

/** One page of a cursor-paged list; `nextCursor` is set when more items remain. */
export interface Page<T> {
  readonly items: T[];
  readonly nextCursor?: string;
}

export class ClearmatchClient {
  /** The EIP-712 domain every order and cancel is signed under. */
  readonly domain: ClearmatchDomain;
  readonly #options: ResolvedClientOptions;
  readonly #http: HttpTransport;
  readonly #hasher: OrderHasher;
  #lastNonce = 0n;

  constructor(options: ClearmatchClientOptions) {
    this.#options = resolveClientOptions(options);
    this.domain = clearmatchDomain(this.#options.chainId, this.#options.settlement);
    this.#hasher = new OrderHasher(this.domain);
    this.#http = new HttpTransport({
      baseUrl: this.#options.baseUrl,
      fetch: this.#options.fetch,
      timeoutMs: this.#options.requestTimeoutMs,
    });
  }

  // ------------------------------------------------------------ orders

  /** The order's id: its EIP-712 digest under this exchange's domain. */
  hashOrder(order: Order): Hex {
    return this.#hasher.hashOrder(order);
  }

  /** The wallet's address (its account, or the first address an EIP-1193 wallet exposes). */
  async getAddress(): Promise<Address> {
    const account = await this.#account();
    return typeof account === "string" ? account : account.address;
  }

  /**
   * The `Order` for `params`, defaults applied: trader = the wallet's address, nonce per
   * `orderDefaults.nonce` (clock nonces strictly increase within this client), expiry = now +
   * TTL, maxFeeBps = `orderDefaults.maxFeeBps`, flags from `postOnly` / `ioc` / `fok`.
   */
  async buildOrder(params: OrderParams): Promise<Order> {
    const trader = params.trader ?? (await this.getAddress());
    return orderFromParams(params, {
      trader,
      nonce: params.nonce ?? this.#nextNonce(),
      nowMs: this.#options.now(),
      defaults: this.#options.orderDefaults,
    });
  }

  /** Signs `order` with the wallet (`eth_signTypedData_v4` for browser wallets). */
  async signOrder(order: Order): Promise<SignedOrderWithHash> {
    const account = await this.#signerFor(order.trader);
    const orderHash = this.#hasher.hashOrder(order);
    const signature = await this.#wallet().signTypedData({
      account,
      domain: this.domain,
      types: orderTypes,
      primaryType: "Order",
      message: order,
    });
    this.#options.signedOrders.add(orderHash, order);
    return {
      order,
      signature,
      orderHash,
      chainId: this.domain.chainId,
      verifyingContract: this.domain.verifyingContract,
    };
  }

  /** Signs an off-chain `Cancel(orderHash)` with the wallet. */
  async signCancel(orderHash: Hex): Promise<SignedCancel> {
    const account = await this.#account();
    const signature = await this.#wallet().signTypedData({
      account,
      domain: this.domain,
      types: cancelTypes,
      primaryType: "Cancel",
      message: { orderHash },
    });
    return {
      orderHash,
      signature,
      chainId: this.domain.chainId,
      verifyingContract: this.domain.verifyingContract,
    };
  }

  /** `POST /v1/orders`. Resubmitting the identical signed order is idempotent (`created: false`). */
  async submitOrder(signed: SignedOrder): Promise<SubmitOrderResult> {
    const body = await this.#http.request({
      method: "POST",
      path: "/v1/orders",
      body: encodeSignedOrder(signed),
    });
    return decodeSubmitOrderResult(body);
  }

  /**
   * `POST /v1/orders/batch`: one answer per order, in order. A malformed order refuses the
   * whole request (throws `ClearmatchApiError`); orders the service refuses come back as items.
   */
  async submitOrders(signed: readonly SignedOrder[]): Promise<SubmitOrdersItem[]> {
    const body = await this.#http.request({
      method: "POST",
      path: "/v1/orders/batch",
      body: { orders: signed.map(encodeSignedOrder) },
    });
    return decodeList("results", (value, path): SubmitOrdersItem => {
      const item = (typeof value === "object" && value !== null ? value : {}) as Record<
        string,
        unknown
      >;
      const status = typeof item["status"] === "number" ? item["status"] : 0;
      const error = item["error"] as
        { code?: unknown; message?: unknown; details?: unknown } | undefined;
      if (error !== undefined && typeof error === "object" && typeof error.code === "string") {
        return {
          ok: false,
          status,
          error: new ClearmatchApiError(error.code, String(error.message ?? error.code), status, {
            details: (error.details ?? undefined) as Record<string, unknown> | undefined,
          }),
        };
      }
      return { ok: true, status, result: decodeSubmitOrderResult(item, path) };
    })(body);
  }

  /** Builds, signs and submits an order. */
  async placeOrder(params: OrderParams): Promise<SubmitOrderResult> {
    return this.submitOrder(await this.signOrder(await this.buildOrder(params)));
  }

  /** Cancels off-chain: signs `Cancel(orderHash)` and posts it. Idempotent. */
  async cancelOrder(orderHash: Hex): Promise<CancelResult> {
    const body = await this.#http.request({
      method: "POST",
      path: "/v1/cancels",
      body: encodeSignedCancel(await this.signCancel(orderHash)),
    });
    return decodeCancelResult(body);
  }

  async getOrder(orderHash: Hex): Promise<OrderView> {
    return decodeOrderView(await this.#get(`/v1/orders/${orderHash}`));
  }

  // ------------------------------------------------------------ queries

  /** The server's EIP-712 domain and order limits (expiry margin, maximum lifetime, batch size, ...). */
  async getInfo(): Promise<ExchangeInfo> {
    return decodeExchangeInfo(await this.#get("/v1/info"));
  }

  /**
   * `getInfo`, after checking that the server signs under this client's domain (chain id and
   * settlement address as configured): otherwise every order would be refused, so this throws
   * `DOMAIN_MISMATCH` naming both domains. Call it once at start-up.
   */
  async checkDomain(): Promise<ExchangeInfo> {
    const info = await this.getInfo();
    const ours = this.domain;
    const theirs = info.domain;
    if (
      theirs.name !== ours.name ||
      theirs.version !== ours.version ||
      theirs.chainId !== ours.chainId ||
      theirs.verifyingContract.toLowerCase() !== ours.verifyingContract.toLowerCase()
    ) {
      throw new ClearmatchClientError(
        "DOMAIN_MISMATCH",
        `the server signs under chain ${theirs.chainId}, contract ${theirs.verifyingContract}; ` +
          `this client under chain ${ours.chainId}, contract ${ours.verifyingContract}`,
        { details: { server: theirs, client: ours } },
      );
    }
    return info;
  }

  async getMarkets(): Promise<MarketView[]> {
    return decodeList("markets", decodeMarket)(await this.#get("/v1/markets"));
  }

  /** Levels per side: `depth` 1..500, server default 50. */
  async getBook(marketId: number, options: { depth?: number } = {}): Promise<BookView> {
    return decodeBook(await this.#get(`/v1/markets/${marketId}/book`, { depth: options.depth }));
  }

  /** Newest first. */
  async getTrades(marketId: number, options: ListOptions = {}): Promise<TradeView[]> {
    const body = await this.#get(`/v1/markets/${marketId}/trades`, { limit: options.limit });
    return decodeList("trades", decodeTrade)(body);
  }

  /** Newest first: one page (`getAccountOrdersPage` tells whether more follow). */
  async getAccountOrders(account: Address, options: PageOptions = {}): Promise<OrderView[]> {
    return (await this.getAccountOrdersPage(account, options)).items;
  }

  /** Newest first; pass `nextCursor` as `after` for the next page (INVALID_CURSOR if unknown). */
  async getAccountOrdersPage(
    account: Address,
    options: PageOptions = {},
  ): Promise<Page<OrderView>> {
    const body = await this.#get(`/v1/accounts/${account}/orders`, {
      limit: options.limit,
      after: options.after,
    });
    return { items: decodeList("orders", decodeOrderView)(body), ...nextCursorOf(body) };
  }

  /**
   * The order feed, oldest first: every accepted signed order of every account with its `seq`;
   * pass `nextCursor` (a `seq`) as `after` for the next page. A watcher checks committed fills
   * against these orders (their signatures included) without trusting the sequencer.
   */
  async getAcceptedOrdersPage(options: PageOptions = {}): Promise<Page<AcceptedOrderView>> {
    const body = await this.#get("/v1/feed/orders", { limit: options.limit, after: options.after });
    return { items: decodeList("orders", decodeAcceptedOrder)(body), ...nextCursorOf(body) };
  }

  /** Newest first: one page (`getAccountFillsPage` tells whether more follow). */
  async getAccountFills(account: Address, options: PageOptions = {}): Promise<FillView[]> {
    return (await this.getAccountFillsPage(account, options)).items;
  }

  /** Newest first; pass `nextCursor` as `after` for the next page (INVALID_CURSOR if unknown). */
  async getAccountFillsPage(account: Address, options: PageOptions = {}): Promise<Page<FillView>> {
    const body = await this.#get(`/v1/accounts/${account}/fills`, {
      limit: options.limit,
      after: options.after,
    });
    return { items: decodeList("fills", decodeFill)(body), ...nextCursorOf(body) };
  }

  /** Every fill of `account`, newest first, fetched page by page (`limit` per request). */
  async *allAccountFills(account: Address, options: ListOptions = {}): AsyncGenerator<FillView> {
    let after: string | undefined;
    do {
      const page = await this.getAccountFillsPage(account, {
        ...options,
        ...(after !== undefined ? { after } : {}),
      });
      yield* page.items;
      after = page.nextCursor;
    } while (after !== undefined);
  }

  async getAccountBalances(account: Address): Promise<BalanceView[]> {
    const body = await this.#get(`/v1/accounts/${account}/balances`);
    return decodeList("balances", decodeBalance)(body);
  }

  /** Newest first; `before` pages backwards (batch ids below it). */
  async getBatches(options: ListOptions & { before?: bigint } = {}): Promise<BatchView[]> {
    const body = await this.#get("/v1/batches", { limit: options.limit, before: options.before });
    return decodeList("batches", decodeBatch)(body);
  }

  async getBatch(batchId: bigint): Promise<BatchView> {
    return decodeBatch(await this.#get(`/v1/batches/${batchId}`));
  }

  /** The fill's leaf, Merkle proof, batch and both signed orders (check with `verifyFillProof`). */
  async getFillProof(fillId: string): Promise<FillProofView> {
    return decodeFillProof(await this.#get(`/v1/fills/${encodeURIComponent(fillId)}/proof`));
  }

  /**
   * Checks a fill proof without trusting the server: leaf hash recomputed from its values,
   * proof folded to the batch root, both orders re-hashed against the leaf's order hashes and
   * their signatures checked, and (with a public client, unless `onChain: false`) the root
   * compared with `batch(batchId).fillsRoot` on-chain and the fill judged by the contract's
   * fraud rules under the chain's state at the commit (`provable`, unless `checkRules: false`).
   * Never throws for an invalid proof: the result says why.
   */
  async verifyFillProof(
    proof: FillProofView,
    options: { onChain?: boolean; checkSignatures?: boolean; checkRules?: boolean } = {},
  ): Promise<FillProofVerification> {
    return verifyFillProof(proof, {
      hasher: this.#hasher,
      settlement: this.#options.settlement,
      publicClient: options.onChain === false ? undefined : this.#options.publicClient,
      checkSignatures: options.checkSignatures ?? true,
      checkRules: options.checkRules ?? true,
    });
  }

  // ------------------------------------------------------------ stream

  /**
   * Subscribes to stream channels (`streamChannels.book(1)`, `"batches"`, ...). Reconnects
   * with backoff and resubscribes; `close()` the returned handle to stop.
   */
  subscribe(
    channels: readonly string[],
    onMessage: (event: StreamEvent) => void,
    options: SubscribeOptions = {},
  ): StreamSubscription {
    return openStream(
      channels,
      onMessage,
      {
        url: this.#options.streamUrl,
        WebSocket: this.#options.WebSocket,
        reconnect: this.#options.reconnect,
      },
      options,
    );
  }

  // ------------------------------------------------------------ on-chain

  /** Approves the settlement for `amount` if the allowance is short, then deposits it. */
  async deposit(token: Address, amount: bigint): Promise<DepositResult> {
    return deposit(await this.#onChain(), token, amount);
  }

  /** Asks to withdraw `amount` of `token`; executable after the contract's withdrawal delay. */
  async requestWithdrawal(token: Address, amount: bigint): Promise<TxResult> {
    return this.#call("requestWithdrawal", [token, amount]);
  }

  /** Takes back the withdrawal request for `token`; the sequencer releases its reservation. */
  async cancelWithdrawal(token: Address): Promise<TxResult> {
    return this.#call("cancelWithdrawal", [token]);
  }

  /** Executes the matured withdrawal request for `token` (needs no sequencer). */
  async withdraw(token: Address): Promise<TxResult> {
    return this.#call("withdraw", [token]);
  }

  /** Cancels an order on-chain: any fill of it committed in a later block is provably invalid. */
  async cancelOrderOnChain(orderHash: Hex): Promise<TxResult> {
    return this.#call("cancelOrder", [orderHash]);
  }

  /** Invalidates every order of the wallet's account with `nonce < minNonce` (see `nonceFloorAt`). */
  async invalidateNonces(minNonce: bigint): Promise<TxResult> {
    return this.#call("invalidateNonces", [minNonce]);
  }

  /**
   * Challenges a fill naming the wallet's account ("I never signed this order"). Checks first
   * that the leaf and proof lead to the root committed on-chain (`INVALID_FILL_PROOF` if not).
   */
  async challengeFill(proof: FillProofView): Promise<TxResult & { readonly challengeId: bigint }> {
    const ctx = await this.#onChain();
    const me = (typeof ctx.account === "string" ? ctx.account : ctx.account.address).toLowerCase();
    if (me !== proof.leaf.maker.toLowerCase() && me !== proof.leaf.taker.toLowerCase())
      throw new ClearmatchClientError(
        "INVALID_FILL_PROOF",
        `only the fill's maker or taker can challenge it, not ${me}`,
      );
    const root = processProof(hashFillLeaf(proof.leaf), proof.proof);
    const onChain = await ctx.publicClient.readContract({
      address: ctx.settlement,
      abi: settlementAbi,
      functionName: "batch",
      args: [proof.leaf.batchId],
    });
    if (onChain.fillsRoot.toLowerCase() !== root)
      throw new ClearmatchClientError(
        "INVALID_FILL_PROOF",
        `leaf and proof lead to ${root}, batch ${proof.leaf.batchId} committed ${onChain.fillsRoot}`,
      );
    return challengeFill(ctx, proof.leaf, proof.proof);
  }

  /** Every order this client signed, by hash: what `watchMyFills` judges the trader's fills by. */
  get signedOrders(): SignedOrderStore {
    return this.#options.signedOrders;
  }

  /**
   * Starts the trader's own watch over the wallet account's fills (see `watch-my-fills.ts`):
   * proves fraud against the orders this client signed and challenges fills of orders it never
   * signed, from the wallet, with no help from the sequencer. Needs a wallet with an account and
   * a public client.
   */
  watchMyFills(
    options: Omit<WatchMyFillsOptions, "publicClient" | "walletClient" | "settlement" | "orders">,
  ): Watchtower {
    const wallet = this.#wallet();
    if (!wallet.account)
      throw new ClearmatchClientError(
        "WALLET_REQUIRED",
        "watchMyFills needs a wallet with an account",
      );
    return watchMyFills({
      ...options,
      publicClient: this.#public(),
      walletClient: wallet as WatchMyFillsOptions["walletClient"],
      settlement: this.#options.settlement,
      orders: this.#options.signedOrders,
    });
  }

  /** The account's (default: the wallet's) finalized vault balance of `token`. */
  async getVaultBalance(token: Address, account?: Address): Promise<bigint> {
    return this.#public().readContract({
      address: this.#options.settlement,
      abi: settlementAbi,
      functionName: "balanceOf",
      args: [account ?? (await this.getAddress()), token],
    });
  }

  /** The account's (default: the wallet's) pending withdrawal request for `token`. */
  async getWithdrawalRequest(
    token: Address,
    account?: Address,
  ): Promise<{ amount: bigint; executableAt: bigint }> {
    const request = await this.#public().readContract({
      address: this.#options.settlement,
      abi: settlementAbi,
      functionName: "withdrawalRequest",
      args: [account ?? (await this.getAddress()), token],
    });
    return { amount: request.amount, executableAt: request.executableAt };
  }

  // ------------------------------------------------------------ internals

  #get(path: string, query?: Record<string, string | number | bigint | undefined>) {
    return this.#http.request({ method: "GET", path, ...(query ? { query } : {}) });
  }

  #nextNonce(): bigint {
    if (this.#options.orderDefaults.nonce === "random") return randomUint64();
    // Strictly increasing even within one millisecond or if the clock steps back.
    const candidate = clockNonce(this.#options.now());
    this.#lastNonce = candidate > this.#lastNonce ? candidate : this.#lastNonce + 1n;
    return this.#lastNonce;
  }

  #wallet(): AnyWalletClient {
    const wallet = this.#options.wallet;
    if (!wallet)
      throw new ClearmatchClientError("WALLET_REQUIRED", "this client was built without a wallet");
    return wallet;
  }

  #public(): PublicClient {
    const client = this.#options.publicClient;
    if (!client)
      throw new ClearmatchClientError(
        "PUBLIC_CLIENT_REQUIRED",
        "this client was built without a publicClient",
      );
    return client;
  }

  /** The wallet's account: a local account, or a JSON-RPC (EIP-1193) wallet's first address. */
  async #account(): Promise<Account | Address> {
    const wallet = this.#wallet();
    if (wallet.account) return wallet.account;
    const [address] = await wallet.getAddresses();
    if (!address)
      throw new ClearmatchClientError(
        "NO_ACCOUNT",
        "the wallet exposes no account: connect it first (wallet.requestAddresses())",
      );
    return address;
  }

  /** The account to sign `trader`'s order with; refuses when the wallet's account is another. */
  async #signerFor(trader: Address): Promise<Account | Address> {
    const wallet = this.#wallet();
    const account = wallet.account ?? trader;
    const address = typeof account === "string" ? account : account.address;
    if (address.toLowerCase() !== trader.toLowerCase())
      throw new ClearmatchClientError(
        "INVALID_ORDER_PARAMS",
        `order.trader ${trader} is not the wallet's account ${address}`,
        { details: { field: "trader" } },
      );
    return account;
  }

  async #onChain(): Promise<OnChainContext> {
    return {
      wallet: this.#wallet(),
      publicClient: this.#public(),
      account: await this.#account(),
      settlement: this.#options.settlement,
      chainId: this.#options.chainId,
    };
  }

  async #call(
    functionName:
      "requestWithdrawal" | "cancelWithdrawal" | "withdraw" | "cancelOrder" | "invalidateNonces",
    args: readonly unknown[],
  ): Promise<TxResult> {
    return send(await this.#onChain(), {
      address: this.#options.settlement,
      abi: settlementAbi,
      functionName,
      args,
    });
  }
}

/** `{ nextCursor }` when the page body carries a string cursor, else `{}`. */
function nextCursorOf(body: unknown): { nextCursor?: string } {
  const cursor = (body as { nextCursor?: unknown } | null)?.nextCursor;
  return typeof cursor === "string" ? { nextCursor: cursor } : {};
}
