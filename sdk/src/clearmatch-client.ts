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
  OrderHasher,
  clearmatchDomain,
  type ClearmatchDomain,
  type Order,
} from "@clearmatch/protocol";
import type { Address, Hex } from "viem";
import { ClearmatchClientError } from "./client-errors.js";
import { watchMyFills, type SignedOrderStore, type WatchMyFillsOptions } from "./watch-my-fills.js";
import type { Watchtower } from "./watchtower.js";
import {
  resolveClientOptions,
  type ClearmatchClientOptions,
  type ResolvedClientOptions,
} from "./client-options.js";
import { HttpTransport } from "./http-transport.js";
import { WalletContext } from "./wallet-context.js";
import {
  challengeOwnFill,
  deposit,
  readVaultBalance,
  readWithdrawalRequest,
  type DepositResult,
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
import type { Page, PageOptions } from "./actions/api.js";
import { checkDomain } from "./actions/check-domain.js";
import { signCancel, signOrder, type SignedOrderWithHash } from "./actions/sign.js";
import { getAcceptedOrdersPage } from "./actions/get-accepted-orders.js";
import { getAccountBalances } from "./actions/get-account-balances.js";
import { getAccountFillsPage } from "./actions/get-account-fills.js";
import { getAccountOrdersPage } from "./actions/get-account-orders.js";
import { getBatch } from "./actions/get-batch.js";
import { getBatches } from "./actions/get-batches.js";
import { getBook } from "./actions/get-book.js";
import { getFillProof } from "./actions/get-fill-proof.js";
import { getInfo } from "./actions/get-info.js";
import { getMarkets } from "./actions/get-markets.js";
import { getOrder } from "./actions/get-order.js";
import { getTrades } from "./actions/get-trades.js";
import { submitCancel } from "./actions/submit-cancel.js";
import { submitOrder } from "./actions/submit-order.js";
import { submitOrders, type SubmitOrdersItem } from "./actions/submit-orders.js";

/** `{ limit }` of list queries: 1..1000, server default 100. */
export interface ListOptions {
  readonly limit?: number;
}

export type { Page, PageOptions, SignedOrderWithHash, SubmitOrdersItem };

export class ClearmatchClient {
  /** The EIP-712 domain every order and cancel is signed under. */
  readonly domain: ClearmatchDomain;
  readonly #options: ResolvedClientOptions;
  readonly #http: HttpTransport;
  readonly #hasher: OrderHasher;
  readonly #w: WalletContext;
  #lastNonce = 0n;

  constructor(options: ClearmatchClientOptions) {
    this.#options = resolveClientOptions(options);
    this.domain = clearmatchDomain(this.#options.chainId, this.#options.settlement);
    this.#hasher = new OrderHasher(this.domain);
    this.#w = new WalletContext(this.#options);
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
    const account = await this.#w.account();
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
    const account = await this.#w.signerFor(order.trader);
    const orderHash = this.#hasher.hashOrder(order);
    const signed = await signOrder(
      { wallet: this.#w.wallet(), account, domain: this.domain },
      order,
      orderHash,
    );
    this.#options.signedOrders.add(orderHash, order);
    return signed;
  }

  /** Signs an off-chain `Cancel(orderHash)` with the wallet. */
  async signCancel(orderHash: Hex): Promise<SignedCancel> {
    const account = await this.#w.account();
    return signCancel({ wallet: this.#w.wallet(), account, domain: this.domain }, orderHash);
  }

  /** `POST /v1/orders`. Resubmitting the identical signed order is idempotent (`created: false`). */
  submitOrder(signed: SignedOrder): Promise<SubmitOrderResult> {
    return submitOrder(this.#http, signed);
  }

  /** `POST /v1/orders/batch`: one answer per order (see `submitOrders`). */
  submitOrders(signed: readonly SignedOrder[]): Promise<SubmitOrdersItem[]> {
    return submitOrders(this.#http, signed);
  }

  /** Builds, signs and submits an order. */
  async placeOrder(params: OrderParams): Promise<SubmitOrderResult> {
    return this.submitOrder(await this.signOrder(await this.buildOrder(params)));
  }

  /** Cancels off-chain: signs `Cancel(orderHash)` and posts it. Idempotent. */
  async cancelOrder(orderHash: Hex): Promise<CancelResult> {
    return submitCancel(this.#http, await this.signCancel(orderHash));
  }

  getOrder(orderHash: Hex): Promise<OrderView> {
    return getOrder(this.#http, orderHash);
  }

  // ------------------------------------------------------------ queries

  /** The server's EIP-712 domain and order limits (expiry margin, maximum lifetime, batch size, ...). */
  getInfo(): Promise<ExchangeInfo> {
    return getInfo(this.#http);
  }

  /** `getInfo`, after checking the server signs under this client's domain (DOMAIN_MISMATCH). */
  checkDomain(): Promise<ExchangeInfo> {
    return checkDomain(this.#http, this.domain);
  }

  getMarkets(): Promise<MarketView[]> {
    return getMarkets(this.#http);
  }

  /** Levels per side: `depth` 1..500, server default 50. */
  getBook(marketId: number, options: { depth?: number } = {}): Promise<BookView> {
    return getBook(this.#http, marketId, options);
  }

  /** Newest first. */
  getTrades(marketId: number, options: ListOptions = {}): Promise<TradeView[]> {
    return getTrades(this.#http, marketId, options);
  }

  /** Newest first: one page (`getAccountOrdersPage` tells whether more follow). */
  async getAccountOrders(account: Address, options: PageOptions = {}): Promise<OrderView[]> {
    return (await this.getAccountOrdersPage(account, options)).items;
  }

  /** Newest first; pass `nextCursor` as `after` for the next page (INVALID_CURSOR if unknown). */
  getAccountOrdersPage(account: Address, options: PageOptions = {}): Promise<Page<OrderView>> {
    return getAccountOrdersPage(this.#http, account, options);
  }

  /** The order feed, oldest first, with each order's `seq` (see `getAcceptedOrdersPage`). */
  getAcceptedOrdersPage(options: PageOptions = {}): Promise<Page<AcceptedOrderView>> {
    return getAcceptedOrdersPage(this.#http, options);
  }

  /** Newest first: one page (`getAccountFillsPage` tells whether more follow). */
  async getAccountFills(account: Address, options: PageOptions = {}): Promise<FillView[]> {
    return (await this.getAccountFillsPage(account, options)).items;
  }

  /** Newest first; pass `nextCursor` as `after` for the next page (INVALID_CURSOR if unknown). */
  getAccountFillsPage(account: Address, options: PageOptions = {}): Promise<Page<FillView>> {
    return getAccountFillsPage(this.#http, account, options);
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

  getAccountBalances(account: Address): Promise<BalanceView[]> {
    return getAccountBalances(this.#http, account);
  }

  /** Newest first; `before` pages backwards (batch ids below it). */
  getBatches(options: ListOptions & { before?: bigint } = {}): Promise<BatchView[]> {
    return getBatches(this.#http, options);
  }

  getBatch(batchId: bigint): Promise<BatchView> {
    return getBatch(this.#http, batchId);
  }

  /** The fill's leaf, Merkle proof, batch and both signed orders (check with `verifyFillProof`). */
  getFillProof(fillId: string): Promise<FillProofView> {
    return getFillProof(this.#http, fillId);
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
    return deposit(await this.#w.onChain(), token, amount);
  }

  /** Asks to withdraw `amount` of `token`; executable after the contract's withdrawal delay. */
  async requestWithdrawal(token: Address, amount: bigint): Promise<TxResult> {
    return this.#w.call("requestWithdrawal", [token, amount]);
  }

  /** Takes back the withdrawal request for `token`; the sequencer releases its reservation. */
  async cancelWithdrawal(token: Address): Promise<TxResult> {
    return this.#w.call("cancelWithdrawal", [token]);
  }

  /** Executes the matured withdrawal request for `token` (needs no sequencer). */
  async withdraw(token: Address): Promise<TxResult> {
    return this.#w.call("withdraw", [token]);
  }

  /** Cancels an order on-chain: any fill of it committed in a later block is provably invalid. */
  async cancelOrderOnChain(orderHash: Hex): Promise<TxResult> {
    return this.#w.call("cancelOrder", [orderHash]);
  }

  /** Invalidates every order of the wallet's account with `nonce < minNonce` (see `nonceFloorAt`). */
  async invalidateNonces(minNonce: bigint): Promise<TxResult> {
    return this.#w.call("invalidateNonces", [minNonce]);
  }

  /**
   * Challenges a fill naming the wallet's account ("I never signed this order"). Checks first
   * that the leaf and proof lead to the root committed on-chain (`INVALID_FILL_PROOF` if not).
   */
  async challengeFill(proof: FillProofView): Promise<TxResult & { readonly challengeId: bigint }> {
    return challengeOwnFill(await this.#w.onChain(), proof);
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
    const wallet = this.#w.wallet();
    if (!wallet.account)
      throw new ClearmatchClientError(
        "WALLET_REQUIRED",
        "watchMyFills needs a wallet with an account",
      );
    return watchMyFills({
      ...options,
      publicClient: this.#w.publicClient(),
      walletClient: wallet as WatchMyFillsOptions["walletClient"],
      settlement: this.#options.settlement,
      orders: this.#options.signedOrders,
    });
  }

  /** The account's (default: the wallet's) finalized vault balance of `token`. */
  async getVaultBalance(token: Address, account?: Address): Promise<bigint> {
    const vault = { publicClient: this.#w.publicClient(), settlement: this.#options.settlement };
    return readVaultBalance(vault, account ?? (await this.getAddress()), token);
  }

  /** The account's (default: the wallet's) pending withdrawal request for `token`. */
  async getWithdrawalRequest(
    token: Address,
    account?: Address,
  ): Promise<{ amount: bigint; executableAt: bigint }> {
    const vault = { publicClient: this.#w.publicClient(), settlement: this.#options.settlement };
    return readWithdrawalRequest(vault, account ?? (await this.getAddress()), token);
  }

  // ------------------------------------------------------------ internals

  #nextNonce(): bigint {
    if (this.#options.orderDefaults.nonce === "random") return randomUint64();
    // Strictly increasing even within one millisecond or if the clock steps back.
    const candidate = clockNonce(this.#options.now());
    this.#lastNonce = candidate > this.#lastNonce ? candidate : this.#lastNonce + 1n;
    return this.#lastNonce;
  }
}
