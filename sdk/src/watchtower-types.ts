/**
 * What a `Watchtower` is given and what it reports: its options, its cursor store, its stats and
 * the proofs and challenges it sends.
 */
import type { Account, Address, Chain, Hex, PublicClient, Transport, WalletClient } from "viem";
import type { FillStruct, FraudKindName, Order } from "@clearmatch/protocol";
import type { OrderSource } from "./order-sources.js";

/** Where the cursor lives between runs. */
export interface CursorStore {
  load(): bigint | undefined;
  save(block: bigint): void;
}

/** What the watchtower has done, for metrics and logs. */
export interface WatchtowerStats {
  batchesChecked: number;
  fillsChecked: number;
  /** Fill sides whose order the source did not have (or had with another hash). */
  fillsWithoutOrders: number;
  /** Proofs sent and mined: fraud (`proveFillFraud`) and conflicting fills (`proveConflictingFills`). */
  proofsSent: number;
  /** Proofs that reverted (another watcher proved it first, or the batch left pending). */
  proofsFailed: number;
  /** Trader mode: challenges opened ("I never signed this"), and how they ended. */
  challengesSent: number;
  /** The sequencer answered with a valid signature (the trader's client had lost the order). */
  challengesAnswered: number;
  /** Unanswered at the deadline: the batch rolled back (upheld by this watcher or another). */
  challengesUpheld: number;
  /** Challenge or uphold transactions that reverted. */
  challengesFailed: number;
  /** The last block whose commits are all checked. */
  cursor: bigint;
  /** Head block minus cursor at the last check. */
  lagBlocks: bigint;
  /**
   * How far behind the chain head a commit was when checked, in ms of chain time (the head's
   * timestamp minus the commit block's): the 99th percentile and the maximum over the last 10,000
   * commits. Whole seconds on chains with one-second timestamps.
   */
  checkLagP99Ms: number;
  checkLagMaxMs: number;
}

/** One proof sent. */
export interface ProofSent {
  batchId: bigint;
  index: number;
  side: "maker" | "taker";
  /** `ConflictingFills`: this side overlaps an earlier fill of the same order (`proveConflictingFills`). */
  kind: FraudKindName | "ConflictingFills";
  txHash: Hex;
  /** Milliseconds from seeing the commit to the proof's receipt. */
  latencyMs: number;
}

/** One challenge opened (trader mode). */
export interface ChallengeSent {
  batchId: bigint;
  index: number;
  side: "maker" | "taker";
  challengeId: bigint;
  txHash: Hex;
  /** Milliseconds from seeing the commit to the challenge's receipt. */
  latencyMs: number;
}

/** How a challenge this watcher follows ended. */
export type ChallengeOutcome = "answered" | "upheld" | "failed";

export interface WatchtowerOptions {
  publicClient: PublicClient;
  /** Pays for proofs. */
  walletClient: WalletClient<Transport, Chain | undefined, Account>;
  settlement: Address;
  orders: OrderSource;
  cursor: CursorStore;
  /** First block to read commits from when there is no cursor (the deployment block). */
  fromBlock: bigint;
  /** Blocks behind the head the watchtower reads to (default 0: a proof is urgent). */
  confirmations?: number;
  /** Most blocks per log query (default 2,000). */
  maxRange?: bigint;
  /** Called for each proof sent. */
  onProof?: (proof: ProofSent) => void;
  /** Called after each check, with the stats (the CLI writes them to its state directory). */
  afterCheck?: (stats: WatchtowerStats) => void;
  /** Called for each fill side whose order is missing. */
  onMissingOrder?: (batchId: bigint, index: number, side: "maker" | "taker") => void;
  /**
   * Trader mode: judge only the sides naming this address (`walletClient` must be its key), and
   * challenge those whose order `orders` does not hold (the trader never signed it).
   */
  trader?: Address;
  /** Trader mode: called for each challenge opened, and when one it follows ends. */
  onChallenge?: (challenge: ChallengeSent) => void;
  onChallengeOutcome?: (challengeId: bigint, outcome: ChallengeOutcome) => void;
  /** Most order sides kept to find conflicting fills across batches (default 500,000). */
  maxRangeEntries?: number;
}

export type Side = "maker" | "taker";

/** The settlement calls a watcher sends. */
export type WriteCall =
  | { functionName: "proveFillFraud"; args: readonly [FillStruct, Hex[], Order, boolean] }
  | {
      functionName: "proveConflictingFills";
      args: readonly [FillStruct, Hex[], boolean, FillStruct, Hex[], boolean];
    }
  | { functionName: "challengeFill"; args: readonly [FillStruct, Hex[]] }
  | { functionName: "upholdChallenge"; args: readonly [bigint] };
