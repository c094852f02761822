/**
 * The batch audit: every fault the chain could hold against a batch's fills, judged by the shared
 * rules of `fraud-rules.ts` (the contract's own rules). The sequencer runs it on a batch before
 * committing it, against the chain as the commit will see it (DESIGN.md, "Time" and "Watchers"):
 * commit time = chain head time + the bounded commit latency, every on-chain cancel and nonce bump
 * it has seen, paused markets. Watchers and the demo's final audit run it against the committed
 * batch's real commit context.
 *
 * Pure: no I/O, no Node-only imports (like `fraud-rules.ts`, meant for a shared package).
 *
 * What it reports, per batch:
 * - `faults`: one per (fill, side) whose signed order the fill contradicts (`kind` a FraudKind
 *   name, `provable: true`: `proveFillFraud` succeeds), or whose signed order the caller does not
 *   have (`ORDER_UNKNOWN`) or have under another hash (`ORDER_HASH_MISMATCH`): no fraud proof, but
 *   a challenge by the named trader succeeds unless the sequencer answers with the signed order
 *   (`provable: false`).
 * - `conflicts`: two leaves naming one order that claim overlapping parts of it (in this batch, or
 *   one here and one in an earlier pending or finalized batch): `proveConflictingFills` rolls back
 *   the later batch.
 * - `leafFaults`: a leaf naming another batch, an index other than its position, or an index
 *   beyond the fill count. The contract cannot prove these (it looks a fill's batch up by the
 *   leaf's own `batchId`), which is exactly why they must never be committed: such a fill would
 *   move balances through the deltas while escaping every fraud proof and challenge.
 */
import type { Address, Hex } from "viem";
import {
  type FillLeaf,
  type Order,
  UNREGISTERED_MARKET,
  fillsConflict,
  findFraud,
  orderHashOf,
  sameAddress,
  type CommitContext,
  type FraudKindName,
  type MarketRules,
} from "@clearmatch/protocol";

/** The side of a fill an order is on. */
export type FillSideName = "maker" | "taker";

/** What a fill's side can be faulted for. */
export type FillFaultKind = FraudKindName | "ORDER_UNKNOWN" | "ORDER_HASH_MISMATCH";

/** A fill whose order on one side is provably contradicted, or unanswerable if challenged. */
export interface FillFault {
  /** Position of the leaf in the audited `leaves`. */
  readonly fillIndex: number;
  readonly batchId: bigint;
  /** The leaf's own `index`. */
  readonly index: number;
  readonly orderHash: Hex;
  readonly side: FillSideName;
  readonly kind: FillFaultKind;
  /** True for a FraudKind (a fraud proof succeeds); false for an order the caller cannot show. */
  readonly provable: boolean;
}

/** One leaf of a conflict, on the side that names the shared order. */
export interface LeafRef {
  readonly batchId: bigint;
  readonly index: number;
  readonly side: FillSideName;
  /** Position in the audited `leaves`; undefined for a leaf of `priorLeaves`. */
  readonly fillIndex?: number;
}

/** Two fills of one order claiming the same part of it (`proveConflictingFills`). */
export interface FillConflict {
  readonly kind: "ConflictingFills";
  readonly orderHash: Hex;
  readonly a: LeafRef;
  readonly b: LeafRef;
  /** The batch a proof rolls back (the later of the two; it must still be pending). */
  readonly laterBatchId: bigint;
}

/** A leaf that is not bound to its batch and position (not provable on-chain: never commit it). */
export interface LeafFault {
  readonly fillIndex: number;
  readonly kind: "BATCH_ID_MISMATCH" | "INDEX_MISMATCH" | "INDEX_BEYOND_FILL_COUNT";
  readonly message: string;
}

export interface BatchAudit {
  readonly faults: FillFault[];
  readonly conflicts: FillConflict[];
  readonly leafFaults: LeafFault[];
  /** No fault of any kind: safe to commit. */
  readonly clean: boolean;
}

/** Signed orders by order hash: a map (keys in any hex case) or a lookup. */
export type OrderLookup = ReadonlyMap<string, Order> | ((orderHash: Hex) => Order | undefined);

/**
 * The chain as a commit will see it (the sequencer's prediction). Time rules use `committedAt`,
 * which should be the latest time the commit can land (head time + bounded latency), so that an
 * expiry the commit might pass counts.
 */
export interface PredictedCommitState {
  /** Unix seconds the commit lands at, at the latest. */
  readonly committedAt: bigint;
  /** Whether `trader` cancelled `orderHash` on-chain (in a block before the commit's). */
  isCancelled(trader: Address, orderHash: Hex): boolean;
  /** The trader's minimum nonce as the commit will see it (0 if never raised). */
  minNonce(trader: Address): bigint;
  /** Whether the market is paused at the commit (or may be: doubt counts as paused). */
  isMarketPaused(marketId: number): boolean;
  /** The market's on-chain config; undefined if not registered. */
  market(marketId: number): MarketRules | undefined;
}

/** Plain data for `predictedCommitState`. */
export interface PredictedCommitInput {
  readonly committedAt: bigint;
  /** Order hashes cancelled on-chain by their own trader. */
  readonly cancelled?: Iterable<string>;
  /** Minimum nonce per trader (address in any case). */
  readonly nonceFloors?: Iterable<readonly [string, bigint]>;
  readonly pausedMarkets?: Iterable<number>;
  /** On-chain config per registered market id. */
  readonly markets: Iterable<readonly [number, MarketRules]>;
}

/** A `PredictedCommitState` from sets and maps. */
export function predictedCommitState(input: PredictedCommitInput): PredictedCommitState {
  const cancelled = new Set([...(input.cancelled ?? [])].map((h) => h.toLowerCase()));
  const floors = new Map<string, bigint>();
  for (const [trader, floor] of input.nonceFloors ?? []) floors.set(trader.toLowerCase(), floor);
  const paused = new Set(input.pausedMarkets ?? []);
  const markets = new Map(input.markets);
  return {
    committedAt: input.committedAt,
    isCancelled: (_trader, orderHash) => cancelled.has(orderHash.toLowerCase()),
    minNonce: (trader) => floors.get(trader.toLowerCase()) ?? 0n,
    isMarketPaused: (marketId) => paused.has(marketId),
    market: (marketId) => markets.get(marketId),
  };
}

/** The commit context of one side of `fill` under a predicted state (`_commitContext`'s mirror). */
export function predictedContext(
  state: PredictedCommitState,
  fill: FillLeaf,
  order: Order,
  orderHash: Hex,
): CommitContext {
  return {
    committedAt: state.committedAt,
    cancelledBeforeCommit: state.isCancelled(order.trader, orderHash),
    minNonceBeforeCommit: state.minNonce(order.trader),
    marketPausedAtCommit: state.isMarketPaused(fill.marketId),
    market: state.market(fill.marketId) ?? UNREGISTERED_MARKET,
  };
}

/** What the contract's `_commitContext` would gather for one side of a fill. */
export type CommitContextOf = (fill: FillLeaf, order: Order, orderHash: Hex) => CommitContext;

export interface AuditBatchInput {
  /** The batch the leaves are (to be) committed in. */
  readonly batchId: bigint;
  /** The batch's leaves, in batch order. */
  readonly leaves: readonly FillLeaf[];
  /** The signed orders the leaves name. */
  readonly orders: OrderLookup;
  /** The chain at the commit: a predicted state, or a context per fill side. */
  readonly commit: PredictedCommitState | CommitContextOf;
  /** The fill count the commit declares; default `leaves.length`. */
  readonly fillCount?: number;
  /**
   * Leaves of earlier batches that are pending or finalized (not rolled back): a leaf of this batch
   * that overlaps one of theirs makes this batch provable.
   */
  readonly priorLeaves?: readonly FillLeaf[];
  /** When given, each order must hash to the hash the leaf names (else ORDER_HASH_MISMATCH). */
  readonly hashOrder?: (order: Order) => Hex;
}

/** Every fault of a batch (see the module comment); `clean` when there is none. */
export function auditBatch(input: AuditBatchInput): BatchAudit {
  const { batchId, leaves } = input;
  const fillCount = input.fillCount ?? leaves.length;
  const lookup = orderLookup(input.orders);
  const contextOf: CommitContextOf =
    typeof input.commit === "function"
      ? input.commit
      : (fill, order, orderHash) =>
          predictedContext(input.commit as PredictedCommitState, fill, order, orderHash);

  const leafFaults: LeafFault[] = [];
  const faults: FillFault[] = [];
  leaves.forEach((leaf, fillIndex) => {
    if (leaf.batchId !== batchId)
      leafFaults.push({
        fillIndex,
        kind: "BATCH_ID_MISMATCH",
        message: `leaf ${fillIndex} names batch ${leaf.batchId}, not ${batchId}`,
      });
    if (leaf.index >= fillCount)
      leafFaults.push({
        fillIndex,
        kind: "INDEX_BEYOND_FILL_COUNT",
        message: `leaf ${fillIndex} has index ${leaf.index} >= fill count ${fillCount}`,
      });
    else if (leaf.index !== fillIndex)
      leafFaults.push({
        fillIndex,
        kind: "INDEX_MISMATCH",
        message: `leaf ${fillIndex} has index ${leaf.index}`,
      });
    faults.push(...auditFill(leaf, fillIndex, lookup, contextOf, input.hashOrder));
  });

  const conflicts = findConflicts(leaves, input.priorLeaves ?? []);
  return {
    faults,
    conflicts,
    leafFaults,
    clean: faults.length === 0 && conflicts.length === 0 && leafFaults.length === 0,
  };
}

/**
 * Both sides of one fill against their orders: a FraudKind per provable side, ORDER_UNKNOWN /
 * ORDER_HASH_MISMATCH per side whose order the caller cannot show.
 */
export function auditFill(
  leaf: FillLeaf,
  fillIndex: number,
  orders: OrderLookup | ((orderHash: Hex) => Order | undefined),
  contextOf: CommitContextOf,
  hashOrder?: (order: Order) => Hex,
): FillFault[] {
  const lookup = orderLookup(orders);
  const out: FillFault[] = [];
  for (const isMaker of [true, false]) {
    const orderHash = orderHashOf(leaf, isMaker);
    const side: FillSideName = isMaker ? "maker" : "taker";
    const base = { fillIndex, batchId: leaf.batchId, index: leaf.index, orderHash, side };
    const order = lookup(orderHash);
    if (order === undefined) {
      out.push({ ...base, kind: "ORDER_UNKNOWN", provable: false });
      continue;
    }
    if (hashOrder !== undefined && !sameAddress(hashOrder(order), orderHash)) {
      out.push({ ...base, kind: "ORDER_HASH_MISMATCH", provable: false });
      continue;
    }
    const kind = findFraud(leaf, order, isMaker, contextOf(leaf, order, orderHash));
    if (kind !== undefined) out.push({ ...base, kind, provable: true });
  }
  return out;
}

/**
 * Pairs of leaves naming one order with overlapping claims on it (`fillsConflict`), where at least
 * one leaf is in `leaves` (pairs within `priorLeaves` are not this audit's). Pass every leaf as
 * `leaves` and no priors to check a whole history. Each conflicting pair is reported once.
 */
export function findConflicts(
  leaves: readonly FillLeaf[],
  priorLeaves: readonly FillLeaf[] = [],
): FillConflict[] {
  interface Entry {
    readonly leaf: FillLeaf;
    readonly isMaker: boolean;
    readonly fillIndex?: number;
  }
  const byOrder = new Map<string, Entry[]>();
  const add = (leaf: FillLeaf, fillIndex: number | undefined) => {
    for (const isMaker of [true, false]) {
      const key = orderHashOf(leaf, isMaker).toLowerCase();
      const list = byOrder.get(key) ?? [];
      list.push(fillIndex === undefined ? { leaf, isMaker } : { leaf, isMaker, fillIndex });
      byOrder.set(key, list);
    }
  };
  priorLeaves.forEach((leaf) => add(leaf, undefined));
  leaves.forEach((leaf, i) => add(leaf, i));

  const ref = (e: Entry): LeafRef => ({
    batchId: e.leaf.batchId,
    index: e.leaf.index,
    side: e.isMaker ? "maker" : "taker",
    ...(e.fillIndex !== undefined ? { fillIndex: e.fillIndex } : {}),
  });
  const conflicts: FillConflict[] = [];
  for (const [, entries] of byOrder) {
    if (entries.length < 2) continue;
    for (let i = 0; i < entries.length; i++) {
      for (let j = i + 1; j < entries.length; j++) {
        const a = entries[i]!;
        const b = entries[j]!;
        if (a.fillIndex === undefined && b.fillIndex === undefined) continue;
        if (!fillsConflict(a.leaf, a.isMaker, b.leaf, b.isMaker)) continue;
        conflicts.push({
          kind: "ConflictingFills",
          orderHash: orderHashOf(a.leaf, a.isMaker),
          a: ref(a),
          b: ref(b),
          laterBatchId: a.leaf.batchId > b.leaf.batchId ? a.leaf.batchId : b.leaf.batchId,
        });
      }
    }
  }
  return conflicts;
}

function orderLookup(orders: OrderLookup): (orderHash: Hex) => Order | undefined {
  if (typeof orders === "function") return orders;
  const lower = new Map<string, Order>();
  for (const [hash, order] of orders) lower.set(hash.toLowerCase(), order);
  return (orderHash) => lower.get(orderHash.toLowerCase());
}
