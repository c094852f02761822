/**
 * The hot path. Stateless checks first (domain hints, expiry, signature, rate limit, kill switch,
 * halt, price band), then one synchronous `core.apply` (single-threaded ordering), then the
 * record is appended to the journal and the answer waits for its group commit: an acknowledged
 * order is durable. Refusals that left the core unchanged are not journaled.
 *
 * Every other writer (chain sync, batcher, expiry ticks) goes through `commit` too, so the
 * journal's order is exactly the order the core applied records in.
 */
import {
  type SignedCancel,
  type SignedOrder,
  bytesToHex,
  type OrderHasher,
  type Order,
} from "@clearmatch/protocol";
import type { Address, PublicClient } from "viem";
import type { Recovered, VerifyPool } from "../crypto/verify-pool.js";
import { FLAG_POST_ONLY } from "../engine/types.js";
import { ClearmatchError } from "../errors/clearmatch-error.js";
import type { JournalWriter } from "../journal/journal-writer.js";
import type { PriceBand } from "./price-band.js";
import type { RateLimiter } from "./rate-limiter.js";
import type { ApplyResult } from "../core/core-types.js";
import type { ExchangeCore } from "../core/exchange-core.js";
import type { ServiceRecord } from "../core/service-record.js";
import {
  recoversTo,
  SignerCheck,
  validSignature,
  type ChainBudget,
  type ChainSignerLimits,
} from "./signer-check.js";

export interface OrderIntakeDeps {
  core: ExchangeCore;
  journal: JournalWriter<ServiceRecord>;
  hasher: OrderHasher;
  /**
   * How order signatures are checked (`SIGNATURE_VERIFIER`): `fast` (OrderHasher + native or JS
   * secp256k1) or `viem` (`hashTypedData` + viem's `recoverAddress`). Default `fast`.
   */
  verifier?: "fast" | "viem";
  /**
   * Hashes orders and recovers their signers on worker threads (fast verifier only). Default:
   * none (both on the main thread).
   */
  verifyPool?: VerifyPool | undefined;
  chainId: number;
  settlement: Address;
  rateLimiter: RateLimiter;
  priceBand: PriceBand;
  /**
   * Furthest an order's expiry may lie ahead of its arrival (seconds). The engine remembers each
   * accepted hash until its expiry, so this bounds that memory. Checked here only, not in the
   * core: a journaled order replays whatever the setting is now.
   */
  maxLifetimeSec: number;
  /** For ERC-1271 wallets (a signature that does not recover to a trader with code). */
  publicClient?: PublicClient;
  /**
   * Bounds on what a signature that does not recover to its trader may cost in chain calls
   * (see `ChainSignerLimits`). Default: `DEFAULT_CHAIN_SIGNER_LIMITS`.
   */
  chainSignerLimits?: Partial<ChainSignerLimits>;
  /** Exchange time, ms: the later of the wall clock and the chain's (ChainClock.now). */
  now: () => number;
  /**
   * Why the chain cannot take a commit in time now (CHAIN_UNAVAILABLE), or undefined. New orders
   * are refused meanwhile (a resubmitted one is still answered). Default: always available.
   */
  chainUnavailable?: () => ClearmatchError | undefined;
  /** Sees every applied record's result (publishing, metrics, batch triggers). */
  onApplied: (record: ServiceRecord, result: ApplyResult) => void;
  /** A journal write failed: the process must stop and recover from the files. */
  onFatal: (error: unknown) => void;
  /** Counts each order signature checked, by where its signer was recovered. Default: none. */
  onSignatureCheck?: (path: "worker" | "main" | "viem") => void;
}

/** An applied record and the durability its answer waits for. */
interface Staged {
  readonly result: ApplyResult;
  readonly durable: Promise<unknown>;
}

const DONE: Promise<void> = Promise.resolve();

export class OrderIntake {
  #open = true;
  /** Set when the order being staged awaited before its apply (see `submitOrders`). */
  #async = false;
  readonly #maxLifetimeSec: bigint;
  readonly #signers: SignerCheck;
  constructor(private readonly deps: OrderIntakeDeps) {
    this.#maxLifetimeSec = BigInt(deps.maxLifetimeSec);
    this.#signers = new SignerCheck({
      hasher: deps.hasher,
      settlement: deps.settlement,
      publicClient: deps.publicClient,
      limits: deps.chainSignerLimits,
      now: deps.now,
    });
  }

  /** Stop taking orders and cancels (shutdown). */
  close(): void {
    this.#open = false;
  }

  /** Applies `record` to the core and, if it changed state, journals it; resolves once durable. */
  async commit(record: ServiceRecord): Promise<ApplyResult> {
    const { result, durable } = this.#apply(record);
    await durable;
    return result;
  }

  /**
   * Applies `record` synchronously; `durable` settles once what the answer depends on is on
   * disk (the record itself, or for an idempotent answer everything before it).
   */
  #apply(record: ServiceRecord): Staged {
    const result = this.deps.core.apply(record);
    if (!result.mutated) {
      // An idempotent answer must not overtake the durability of what it repeats.
      return { result, durable: result.created === false ? this.deps.journal.flush() : DONE };
    }
    const appended = this.deps.journal.append(record);
    this.deps.onApplied(record, result);
    const durable = appended.then(
      () => undefined,
      (error: unknown) => {
        this.deps.onFatal(error);
        throw new ClearmatchError("INTERNAL", "journal write failed", { cause: error });
      },
    );
    return { result, durable };
  }

  async submitOrder(signed: SignedOrder): Promise<ApplyResult> {
    const pre = await this.#recoverInPool([signed]);
    const budget = this.#signers.budget();
    const { result, durable } = await this.#stageOrder(signed, pre?.[0], budget);
    await durable;
    return result;
  }

  /**
   * `submitOrder` for each of `orders`, applied in arrival order, their durability awaited
   * together (one group commit for the batch instead of one fsync per order). An order whose
   * check is asynchronous (the chain for an ERC-1271 wallet, the viem verifier) is applied
   * before the next one is looked at, so the arrival order holds whatever the path.
   */
  async submitOrders(orders: readonly SignedOrder[]): Promise<PromiseSettledResult<ApplyResult>[]> {
    const staged: Promise<Staged>[] = [];
    const pre = await this.#recoverInPool(orders);
    const budget = this.#signers.budget();
    for (const [i, signed] of orders.entries()) {
      this.#async = false;
      const stage = this.#stageOrder(signed, pre?.[i], budget);
      // Handled here at once: a refusal must not count as unhandled while a later order of the
      // batch awaits the chain (its result is read by `allSettled` below).
      stage.catch(() => undefined);
      staged.push(stage);
      if (this.#async) await stage.catch(() => undefined);
    }
    return Promise.allSettled(
      staged.map(async (stage) => {
        const { result, durable } = await stage;
        await durable;
        return result;
      }),
    );
  }

  /**
   * Checks and applies one order. On the fast path (fast verifier, EOA signer) everything up
   * to `core.apply` runs synchronously in the call; `#async` is set before any other await.
   */
  async #stageOrder(
    signed: SignedOrder,
    pre: Recovered | undefined,
    budget: ChainBudget,
  ): Promise<Staged> {
    const d = this.deps;
    if (!this.#open) throw new ClearmatchError("NOT_READY");
    this.#checkDomain(signed);
    const o = signed.order;
    const viem = d.verifier === "viem";
    // The digest is the order's id: hashed once, kept as bytes for the recovery.
    const digest = viem ? undefined : (pre?.digest ?? d.hasher.orderDigest(o));
    const orderHash = digest ? bytesToHex(digest) : this.#signers.viemHash(o);
    const existing = d.core.knownOrder(orderHash);
    if (existing && existing.signature.toLowerCase() === signed.signature.toLowerCase()) {
      return {
        result: { outputs: [], mutated: false, order: existing, created: false },
        durable: d.journal.flush(),
      };
    }
    const unavailable = d.chainUnavailable?.();
    if (unavailable) throw unavailable;
    const now = d.now();
    const nowSec = BigInt(Math.floor(now / 1000));
    if (o.expiry <= nowSec) {
      throw new ClearmatchError("ORDER_EXPIRED", undefined, { details: { expiry: o.expiry } });
    }
    const maxExpiry = nowSec + this.#maxLifetimeSec;
    if (o.expiry > maxExpiry) {
      throw new ClearmatchError("EXPIRY_TOO_FAR", undefined, {
        details: { expiry: o.expiry, maxExpiry },
      });
    }
    this.#checkFee(o);
    let signer =
      digest && pre?.signer === o.trader.toLowerCase() && validSignature(signed.signature)
        ? o.trader
        : undefined;
    d.onSignatureCheck?.(signer !== undefined ? "worker" : digest ? "main" : "viem");
    if (digest) signer ??= recoversTo(digest, signed.signature, o.trader);
    if (signer === undefined) {
      this.#async = true;
      signer = digest
        ? await this.#signers.verify(digest, signed.signature, o.trader, budget, { order: true })
        : await this.#signers.verify(orderHash, signed.signature, o.trader, budget, {
            order: true,
            viem: true,
          });
    }
    d.rateLimiter.consume(signer.toLowerCase(), now);
    // Kill switch and market halts are core state (journaled admin and breaker records).
    const locked = d.core.tradingRefusal(o.marketId);
    if (locked) throw locked;
    d.priceBand.check(o.price, this.#reference(o.marketId));
    const staged = this.#apply({
      kind: "order",
      ms: now,
      orderHash,
      order: o,
      signature: signed.signature,
    });
    if (staged.result.error) {
      await staged.durable;
      throw staged.result.error;
    }
    return staged;
  }

  /**
   * Digests and pool-recovered signers of `orders` (fast verifier with a pool), else undefined.
   * An order whose fields do not encode gets no hint: its own path reports it.
   */
  async #recoverInPool(orders: readonly SignedOrder[]): Promise<Recovered[] | undefined> {
    const { verifyPool, verifier, hasher } = this.deps;
    if (!verifyPool || verifier === "viem") return undefined;
    const structs = orders.map((s) => {
      try {
        return hasher.encodeOrder(s.order);
      } catch {
        return undefined;
      }
    });
    const jobs = structs.flatMap((struct, i) =>
      struct ? [{ struct, signature: orders[i]!.signature }] : [],
    );
    const answers = await verifyPool.recover(jobs);
    let next = 0;
    return structs.map((struct) => (struct ? answers[next++]! : {}));
  }

  async cancel(signed: SignedCancel): Promise<ApplyResult> {
    const d = this.deps;
    if (!this.#open) throw new ClearmatchError("NOT_READY");
    this.#checkDomain(signed);
    const order = d.core.order(signed.orderHash);
    if (!order) throw new ClearmatchError("UNKNOWN_ORDER");
    const digest = d.hasher.cancelDigest(signed.orderHash);
    let signer: Address;
    try {
      signer = await this.#signers.verify(
        digest,
        signed.signature,
        order.order.trader,
        this.#signers.budget(),
      );
    } catch (error) {
      if (
        error instanceof ClearmatchError &&
        error.code === "BAD_SIGNATURE" &&
        error.details?.["recovered"]
      ) {
        throw new ClearmatchError("NOT_ORDER_OWNER", undefined, { details: error.details });
      }
      throw error;
    }
    d.rateLimiter.consume(signer.toLowerCase(), d.now());
    const result = await this.commit({
      kind: "cancel",
      ms: d.now(),
      orderHash: order.orderHash,
      signature: signed.signature,
    });
    if (result.error) throw result.error;
    return result;
  }

  #checkDomain(signed: { chainId?: number | undefined; verifyingContract?: Address | undefined }) {
    const d = this.deps;
    if (signed.chainId !== undefined && signed.chainId !== d.chainId) {
      throw new ClearmatchError("WRONG_CHAIN", undefined, {
        details: { expected: d.chainId, got: signed.chainId },
      });
    }
    if (
      signed.verifyingContract !== undefined &&
      signed.verifyingContract.toLowerCase() !== d.settlement.toLowerCase()
    ) {
      throw new ClearmatchError("WRONG_CONTRACT", undefined, {
        details: { expected: d.settlement, got: signed.verifyingContract },
      });
    }
  }

  /**
   * FEE_TOO_LOW: an order that may take liquidity (anything but post-only) must accept the
   * market's taker fee, a post-only order its maker fee. Checked here only, not in the core: a
   * journaled order replays whatever the fees are now. An unknown market is left to the core.
   */
  #checkFee(o: Order): void {
    const market = this.deps.core.engine.marketConfig(o.marketId);
    if (!market) return;
    const postOnly = (o.flags & FLAG_POST_ONLY) !== 0;
    const minFeeBps = postOnly ? market.makerFeeBps : market.takerFeeBps;
    if (o.maxFeeBps < minFeeBps) {
      throw new ClearmatchError("FEE_TOO_LOW", undefined, {
        details: { maxFeeBps: o.maxFeeBps, minFeeBps, role: postOnly ? "maker" : "taker" },
      });
    }
  }

  /** Price band reference: the last trade, else the mid of the best bid and ask. */
  #reference(marketId: number): bigint | undefined {
    const last = this.deps.core.lastPrice(marketId);
    if (last !== undefined) return last;
    const depth = this.deps.core.engine.depth(marketId, 1);
    const bid = depth?.bids[0]?.price;
    const ask = depth?.asks[0]?.price;
    return bid !== undefined && ask !== undefined ? (bid + ask) / 2n : undefined;
  }
}
