/**
 * What the exchange core holds and tells: orders with their signatures, fills with their
 * settlement state, batches, and the outputs one applied record produces.
 */
import type { Hex } from "viem";
import type { FillLeaf, Order } from "@clearmatch/protocol";
import type { EngineEvent, FillEvent } from "../engine/types.js";
import type { ClearmatchError } from "../errors/clearmatch-error.js";
import type { ServiceRecord } from "./service-record.js";

export type CoreOrderStatus = "open" | "partially_filled" | "filled" | "cancelled" | "expired";

/** An accepted signed order. */
export interface CoreOrder {
  orderHash: Hex;
  order: Order;
  /** Acceptance number, core-wide (1, 2, ...): an account's orders are listed by it. */
  seq: number;
  /** The trader's signature: answers challenges and goes into fill proofs. */
  signature: Hex;
  /** Wall clock when accepted, ms. */
  acceptedAt: number;
  status: CoreOrderStatus;
  /** Filled base atoms, busted fills excluded. */
  filled: bigint;
  /**
   * Base atoms of this order's fills that were busted (never settled). The engine does not
   * re-open them (later fills' leaves carry cumulative amounts that include them), so an order
   * closed as filled whose fill was busted ends `cancelled`: its remainder never trades.
   */
  busted?: bigint;
}

/** Off-chain life of a fill (DESIGN.md, "Two-phase commit"). */
export type FillState = "MATCHED" | "BATCHED" | "COMMITTED" | "FINALIZED" | "ROLLED_BACK";

export interface CoreFill {
  fillId: number;
  fill: FillEvent;
  state: FillState;
  /** Set while batched (or once finalized / busted in a batch). */
  batchId?: bigint;
  index?: number;
  /** Wall clock of the match, ms. */
  matchedAt: number;
  /** Why the fill was busted, once ROLLED_BACK. */
  bustReason?: string;
}

export type BatchState = "BATCHED" | "COMMITTED" | "FINALIZED" | "ROLLED_BACK";

export interface CoreBatch {
  batchId: bigint;
  /** Fill ids in leaf index order. */
  fillIds: number[];
  state: BatchState;
  cutAt: number;
  committedAt?: number;
  finalizableAt?: bigint;
  commitTx?: Hex;
  settledAt?: number;
  settleTx?: Hex;
  rollbackReason?: string;
}

/** What applying one record produced, for the API, the stream and the batcher. */
export type CoreOutput =
  | { type: "book"; event: EngineEvent & { type: "level" }; sequence: bigint }
  | { type: "fill"; fill: CoreFill }
  /** An order's state changed; `accepted` when the sequencer accepted it just now (the feed). */
  | { type: "order"; order: CoreOrder; accepted?: true }
  | { type: "batchCut"; batch: CoreBatch; leaves: FillLeaf[] }
  | { type: "batch"; batch: CoreBatch }
  /** Cut batches `fromBatchId`..`toBatchId` were withdrawn before their commit (a `recut`). */
  | { type: "recut"; fromBatchId: bigint; toBatchId: bigint; reason: string }
  | { type: "bust"; fill: CoreFill; reason: string }
  | { type: "challenge"; challengeId: bigint; batchId: bigint; orderHash: Hex };

export interface ApplyResult {
  outputs: CoreOutput[];
  /**
   * Whether the core's state changed. A refused order or cancel that changed nothing need not
   * be journaled; one that did (the engine remembers a post-only or FOK refusal) must be.
   */
  mutated: boolean;
  /** Why an order or cancel was refused. */
  error?: ClearmatchError;
  /** The order an order or cancel record named, after it applied. */
  order?: CoreOrder;
  /** `false` when the identical signed order was already accepted. */
  created?: boolean;
  /** Fills the order took at once. */
  fills?: CoreFill[];
}

/** The global kill switch, kept by the core (journaled): engaged, no new order is accepted. */
export interface KillSwitchState {
  readonly engaged: boolean;
  /** Operator's reason, when engaged. */
  readonly reason?: string | undefined;
  /** When the state last changed (ms since the epoch), if ever. */
  readonly since?: number | undefined;
}

/** Why and since when a market is halted. */
export interface MarketHalt {
  readonly marketId: number;
  readonly cause: "circuit_breaker" | "operator";
  /** ms since the epoch. */
  readonly since: number;
  readonly reason?: string | undefined;
  /** For a breaker halt: the window price the move is measured from, and the trade price. */
  readonly fromPrice?: bigint | undefined;
  readonly toPrice?: bigint | undefined;
}

/** Told of each record the core applied live (never of replay at start-up). */
export interface AppliedListener {
  applied(record: ServiceRecord, result: ApplyResult): void;
}
