/**
 * The exchange core: a deterministic state machine over journaled service records. No clock, no
 * I/O: time comes in each record's `ms`. It holds the matching engine, the balance ledger, the
 * signed orders, every fill with its settlement state, the batches, nonce floors and on-chain
 * cancels, the kill switch and market halts (admin and circuit-breaker records), and the last
 * chain event position applied (re-delivered chain events are no-ops).
 *
 * `apply` routes each record to the module that owns it (`docs/service.md` has the policies):
 * - `admission.ts`: orders, cancels, kill switch, halts; every state-dependent check happens
 *   there before anything mutates.
 * - `fills.ts`: the engine's events folded into the ledger, the orders and the indexes.
 * - `chain-events.ts`: the settlement contract's events.
 * - `batch-cut.ts` and `rollback.ts`: cuts, withdrawn cuts, rollbacks and busts.
 * - `retention.ts`: what became final leaves memory for the archive at each clock tick.
 * - `core-snapshot.ts`: the state as JSON-safe data.
 * Point lookups are here; paged queries over live and archived data are `read/paging.ts`.
 */
import type { Address, Hex } from "viem";
import type { FillLeaf } from "@clearmatch/protocol";
import { MatchingEngine } from "../engine/matching-engine.js";
import type { EngineOptions } from "../engine/types.js";
import type { ClearmatchError } from "../errors/clearmatch-error.js";
import { lowercase } from "../crypto/lowercase.js";
import { BalanceLedger } from "./balance-ledger.js";
import type {
  ApplyResult,
  CoreBatch,
  CoreFill,
  CoreOrder,
  CoreOutput,
  KillSwitchState,
  MarketHalt,
} from "./core-types.js";
import {
  admitOrder,
  cancelOrder,
  haltMarket,
  resumeMarket,
  setKillSwitch,
  tradingRefusal,
} from "./admission.js";
import { cutBatch } from "./batch-cut.js";
import { applyChainEvent } from "./chain-events.js";
import { restoreState, snapshotState, type CoreSnapshot } from "./core-snapshot.js";
import {
  DEFAULT_EXPIRY_MARGIN_SEC,
  emptyState,
  findOrder,
  type CoreContext,
} from "./core-state.js";
import { batchLeaves, fillLeaf, runEngine } from "./fills.js";
import { MemoryHistory, type HistoryArchive } from "./history.js";
import { planRetention, prune } from "./retention.js";
import { recut } from "./rollback.js";
import { recordTime, type ServiceRecord } from "./service-record.js";

export interface ExchangeCoreOptions {
  /** The engine's `initialCapacity` (ENGINE_CAPACITY): orders its tables are sized for. */
  engineCapacity?: number;
  /**
   * Where pruned orders, fills and batches go, and where queries find them. Default: a
   * `MemoryHistory` (nothing leaves memory; for tests and tools).
   */
  history?: HistoryArchive;
}

function engineOptions(options: ExchangeCoreOptions): EngineOptions {
  return options.engineCapacity === undefined ? {} : { initialCapacity: options.engineCapacity };
}

export class ExchangeCore {
  readonly #c: CoreContext;

  /** A fresh core, or (`restore`) one around an already restored engine. */
  constructor(options: ExchangeCoreOptions = {}, engine?: MatchingEngine) {
    this.#c = {
      s: emptyState(),
      engine: engine ?? new MatchingEngine(engineOptions(options)),
      ledger: new BalanceLedger(),
      history: options.history ?? new MemoryHistory(),
    };
  }

  get engine(): MatchingEngine {
    return this.#c.engine;
  }
  get ledger(): BalanceLedger {
    return this.#c.ledger;
  }
  get history(): HistoryArchive {
    return this.#c.history;
  }

  /**
   * Seconds before its signed expiry at which an order stops trading. `order.expiry <= committedAt`
   * is a fraud proof and a commit lands some time after the match, so an order is accepted only
   * with at least this much life left, and the engine retires it this much early: a fill is never
   * matched that could expire before its commit. Set once by the init record (replay-stable).
   */
  get expiryMarginSec(): number {
    return this.#c.s.expiryMarginSec;
  }

  apply(record: ServiceRecord): ApplyResult {
    const c = this.#c;
    switch (record.kind) {
      case "init": {
        const s = c.s;
        if (s.initialized) return { outputs: [], mutated: false };
        s.initialized = true;
        s.nextBatchId = record.nextBatchId;
        s.feeRecipient = record.feeRecipient;
        s.makerFeeBps = record.makerFeeBps;
        s.takerFeeBps = record.takerFeeBps;
        s.expiryMarginSec = record.expiryMarginSec ?? DEFAULT_EXPIRY_MARGIN_SEC;
        return { outputs: [], mutated: true };
      }
      case "order":
        return admitOrder(c, record);
      case "cancel":
        return cancelOrder(c, record);
      case "chain":
        return applyChainEvent(c, record);
      case "cut":
        return cutBatch(c, record);
      case "recut":
        return recut(c, record);
      case "expire": {
        const outputs: CoreOutput[] = [];
        runEngine(c, { type: "expire", time: recordTime(record) }, record.ms, outputs);
        prune(c);
        return { outputs, mutated: true };
      }
      case "killSwitch":
        return setKillSwitch(c.s, record);
      case "halt":
        return haltMarket(c, record);
      case "resume":
        return resumeMarket(c, record);
    }
  }

  /**
   * Why a new order in `marketId` is refused by policy now (KILL_SWITCH, MARKET_HALTED), or
   * undefined when it may trade. Cancels are never refused by either.
   */
  tradingRefusal(marketId: number): ClearmatchError | undefined {
    return tradingRefusal(this.#c.s, marketId);
  }

  /** A batch's leaves in batch order, FOK run ends marked as the contract marks them. */
  batchLeaves(batch: { batchId: bigint; fillIds: readonly number[] }): FillLeaf[] {
    const fills = batch.fillIds.map((id) => this.fill(id)!);
    return batchLeaves(this.#c, fills, batch.batchId);
  }

  /** The fill's Merkle leaf in `batchId` at `index` (`fokRunEnd` false: see `batchLeaves`). */
  leaf(f: CoreFill, batchId: bigint, index: number): FillLeaf {
    return fillLeaf(this.#c, f, batchId, index);
  }

  // ------------------------------------------------------------------ lookups

  get initialized(): boolean {
    return this.#c.s.initialized;
  }
  get feeRecipient(): Address {
    return this.#c.s.feeRecipient;
  }
  get nextBatchId(): bigint {
    return this.#c.s.nextBatchId;
  }
  get lastChainPosition(): bigint {
    return this.#c.s.lastPosition;
  }
  get matchedCount(): number {
    return this.#c.s.matched.size;
  }
  get chainPaused(): boolean {
    return this.#c.s.paused;
  }
  /** The kill switch, as the last `killSwitch` record left it. */
  get killSwitch(): KillSwitchState {
    return this.#c.s.killSwitch;
  }
  /** The market's halt, if it is halted (operator or circuit breaker). */
  halt(marketId: number): MarketHalt | undefined {
    return this.#c.s.halts.get(marketId);
  }
  /** Every halted market. */
  haltedMarkets(): MarketHalt[] {
    return [...this.#c.s.halts.values()];
  }
  /** An order by hash, live or archived. */
  order(orderHash: Hex): CoreOrder | undefined {
    return findOrder(this.#c, orderHash);
  }
  /**
   * `order`, for the intake's idempotency check on every submission: the archive is asked only
   * when the engine still knows the hash (it remembers every accepted order until its expiry has
   * passed, and an order past expiry is refused as expired anyway), so a new order costs no
   * archive lookup.
   */
  knownOrder(orderHash: Hex): CoreOrder | undefined {
    const live = this.#c.s.orders.get(lowercase(orderHash));
    if (live) return live;
    if (this.engine.order(lowercase(orderHash)).status === "UNKNOWN") return undefined;
    return this.history.order(orderHash);
  }
  /** Whether the order was cancelled on-chain (as the chain watcher has delivered so far). */
  cancelledOnChain(orderHash: Hex): boolean {
    return this.#c.s.chainCancels.has(lowercase(orderHash));
  }
  /** The trader's on-chain minimum nonce as delivered so far (0 if never raised). */
  nonceFloor(trader: Address): bigint {
    return this.#c.s.nonceFloors.get(lowercase(trader)) ?? 0n;
  }
  /** A fill by id, live or archived. */
  fill(fillId: number): CoreFill | undefined {
    return this.#c.s.fills.get(fillId) ?? this.history.fill(fillId);
  }
  /** A batch by id, live or archived. */
  batch(batchId: bigint): CoreBatch | undefined {
    return this.#c.s.batches.get(String(batchId)) ?? this.history.batch(batchId);
  }
  /** Batches still held in memory (not yet final, or final since the last tick), newest first. */
  liveBatches(): CoreBatch[] {
    return [...this.#c.s.batches.values()].sort((a, b) => (a.batchId < b.batchId ? 1 : -1));
  }
  /** Orders still held in memory, in no particular order. */
  liveOrders(): IterableIterator<CoreOrder> {
    return this.#c.s.orders.values();
  }
  /** A live order by lower-case hash (as the account lists hold them). */
  liveOrder(key: string): CoreOrder | undefined {
    return this.#c.s.orders.get(key);
  }
  /** A live fill by id. */
  liveFill(fillId: number): CoreFill | undefined {
    return this.#c.s.fills.get(fillId);
  }
  /** The account's live orders' lower-case hashes, in acceptance order. */
  accountOrderKeys(account: Address): readonly string[] {
    return (this.#c.s.accountOrders.get(lowercase(account)) ?? []) as string[];
  }
  /** The account's live fill ids (as maker or taker), ascending. */
  accountFillIds(account: Address): readonly number[] {
    return (this.#c.s.accountFills.get(lowercase(account)) ?? []) as number[];
  }
  /** The market's live fill ids, ascending. */
  marketFillIds(marketId: number): readonly number[] {
    return (this.#c.s.marketFills.get(String(marketId)) ?? []) as number[];
  }
  lastPrice(marketId: number): bigint | undefined {
    return this.#c.s.lastPrice.get(marketId);
  }
  bookSequence(marketId: number): bigint {
    return this.#c.s.bookSeq.get(marketId) ?? 0n;
  }
  /** Every challenge the chain reported, by id. */
  challenges(): Array<[bigint, { batchId: bigint; orderHash: Hex }]> {
    return [...this.#c.s.challenges].map(([id, ch]) => [BigInt(id), ch]);
  }
  challengeOf(challengeId: bigint): { batchId: bigint; orderHash: Hex } | undefined {
    return this.#c.s.challenges.get(String(challengeId));
  }
  /** Every account the ledger has seen (for reconciliation checks). */
  accounts(): Address[] {
    const s = this.#c.s;
    return [...new Set([...s.accountOrders.keys(), ...s.depositors])] as Address[];
  }

  // ------------------------------------------------------------------ snapshots

  /** The whole core as JSON-safe data; `ExchangeCore.restore` rebuilds an equal core. */
  snapshot(): CoreSnapshot {
    return {
      engine: this.engine.snapshot(),
      ledger: this.ledger.snapshot(),
      state: snapshotState(this.#c.s),
    };
  }

  static restore(snapshot: CoreSnapshot, options: ExchangeCoreOptions = {}): ExchangeCore {
    const engine = MatchingEngine.restore(snapshot.engine, engineOptions(options));
    const core = new ExchangeCore(options, engine);
    const c = core.#c;
    c.ledger = BalanceLedger.restore(snapshot.ledger);
    const { state, beforeRetention } = restoreState(snapshot.state);
    c.s = state;
    if (beforeRetention) planRetention(c);
    return core;
  }
}
