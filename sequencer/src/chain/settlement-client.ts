import { encodeFunctionData, type Address, type Hex, type PublicClient } from "viem";
import { type Delta, type Order, settlementAbi } from "@clearmatch/protocol";
import { toChainError } from "./chain-errors.js";
import type { TxSender } from "./tx-sender.js";

/** On-chain batch status, as ISettlement.BatchStatus. */
export const BatchStatus = { None: 0, Pending: 1, Finalized: 2, RolledBack: 3 } as const;
export type BatchStatusValue = (typeof BatchStatus)[keyof typeof BatchStatus];

/** What the contract keeps of a batch (ISettlement.Batch). */
export interface OnChainBatch {
  fillsRoot: Hex;
  deltasHash: Hex;
  committedAt: bigint;
  commitBlock: bigint;
  finalizableAt: bigint;
  fillCount: number;
  openChallenges: number;
  openDisputes: number;
  status: BatchStatusValue;
}

/**
 * Typed reads and sequencer writes of the settlement contract. Reads wrap RPC faults into
 * ChainError (transient); writes go through the TxSender (nonces, replacement, confirmations).
 */
export class SettlementClient {
  constructor(
    readonly address: Address,
    private readonly publicClient: PublicClient,
    private readonly sender?: TxSender,
  ) {}

  async #read<T>(functionName: string, args: readonly unknown[] = []): Promise<T> {
    try {
      return (await this.publicClient.readContract({
        address: this.address,
        abi: settlementAbi,
        functionName: functionName as never,
        args: args as never,
      })) as T;
    } catch (error) {
      throw toChainError(error, functionName);
    }
  }

  nextBatchId(): Promise<bigint> {
    return this.#read<bigint>("nextBatchId");
  }

  nextFinalizeId(): Promise<bigint> {
    return this.#read<bigint>("nextFinalizeId");
  }

  async batch(batchId: bigint): Promise<OnChainBatch> {
    const b = await this.#read<OnChainBatch & { fillCount: number; status: number }>("batch", [
      batchId,
    ]);
    return { ...b, status: b.status as BatchStatusValue };
  }

  /** ISettlement.challenge(id): status 1 Open, 2 Answered, 3 Upheld. */
  challenge(
    challengeId: bigint,
  ): Promise<{ batchId: bigint; trader: Address; deadline: bigint; status: number }> {
    return this.#read("challenge", [challengeId]);
  }

  balanceOf(account: Address, token: Address): Promise<bigint> {
    return this.#read<bigint>("balanceOf", [account, token]);
  }

  async chainTime(): Promise<bigint> {
    try {
      return (await this.publicClient.getBlock({ blockTag: "latest" })).timestamp;
    } catch (error) {
      throw toChainError(error, "getBlock");
    }
  }

  #writer(): TxSender {
    if (this.sender === undefined) throw new Error("SettlementClient has no sequencer key");
    return this.sender;
  }

  /** Commits a batch top-level: its packed fills (`commit-fills.ts`) and its deltas. */
  commitBatch(batchId: bigint, fills: Hex, deltas: readonly Delta[]) {
    return this.#writer().send({
      to: this.address,
      label: `commitBatch(${batchId})`,
      data: encodeFunctionData({
        abi: settlementAbi,
        functionName: "commitBatch",
        args: [batchId, fills, deltas],
      }),
    });
  }

  finalizeBatch(batchId: bigint, deltas: readonly Delta[]) {
    return this.#writer().send({
      to: this.address,
      label: `finalizeBatch(${batchId})`,
      data: encodeFunctionData({
        abi: settlementAbi,
        functionName: "finalizeBatch",
        args: [batchId, deltas],
      }),
    });
  }

  answerChallenge(challengeId: bigint, order: Order, signature: Hex) {
    return this.#writer().send({
      to: this.address,
      label: `answerChallenge(${challengeId})`,
      data: encodeFunctionData({
        abi: settlementAbi,
        functionName: "answerChallenge",
        args: [challengeId, order, signature],
      }),
    });
  }
}
