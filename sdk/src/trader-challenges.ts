/**
 * A trader's challenges (trader mode of the `Watchtower`): "I never signed this" for a fill of
 * an order the trader's client never signed, sent from the trader's key; then each one followed
 * to its end: answered (the sequencer showed a signature), or upheld once its deadline passes
 * unanswered (`upholdChallenge`, which anyone may send), rolling the batch back.
 */
import {
  parseEventLogs,
  type Address,
  type Hex,
  type PublicClient,
  type TransactionReceipt,
} from "viem";
import { fillStruct, settlementAbi, type FillLeaf } from "@clearmatch/protocol";
import type {
  ChallengeOutcome,
  ChallengeSent,
  Side,
  WatchtowerStats,
  WriteCall,
} from "./watchtower-types.js";

const CHALLENGE_OPEN = 1;
const CHALLENGE_ANSWERED = 2;

export interface TraderChallengesDeps {
  readonly publicClient: PublicClient;
  readonly settlement: Address;
  readonly trader: Address;
  /** First block to look for the trader's challenges after a restart. */
  readonly fromBlock: bigint;
  /** Sends one call from the trader's key and waits for a successful receipt. */
  readonly write: (call: WriteCall) => Promise<TransactionReceipt>;
  readonly stats: WatchtowerStats;
  readonly onChallenge?: ((challenge: ChallengeSent) => void) | undefined;
  readonly onChallengeOutcome?:
    ((challengeId: bigint, outcome: ChallengeOutcome) => void) | undefined;
}

export class TraderChallenges {
  readonly #d: TraderChallengesDeps;
  /** Challenges opened and not yet ended (loaded from the chain after a restart). */
  readonly #open = new Set<bigint>();
  #loaded = false;

  constructor(deps: TraderChallengesDeps) {
    this.#d = deps;
  }

  /** Trader mode: "I never signed this", from the trader's key. */
  async open(fill: FillLeaf, proof: Hex[], side: Side, seenAt: number): Promise<void> {
    try {
      const receipt = await this.#d.write({
        functionName: "challengeFill",
        args: [fillStruct(fill), proof],
      });
      const txHash = receipt.transactionHash;
      const opened = parseEventLogs({
        abi: settlementAbi,
        eventName: "ChallengeOpened",
        logs: receipt.logs,
      })[0];
      if (!opened) throw new Error("challengeFill did not open");
      this.#open.add(opened.args.challengeId);
      this.#d.stats.challengesSent++;
      this.#d.onChallenge?.({
        batchId: fill.batchId,
        index: fill.index,
        side,
        challengeId: opened.args.challengeId,
        txHash,
        latencyMs: Date.now() - seenAt,
      });
    } catch {
      this.#d.stats.challengesFailed++;
    }
  }

  /**
   * Trader mode: ends the challenges it opened. Answered ones are counted; an open one past its
   * deadline is upheld (`upholdChallenge`, which anyone may send), rolling its batch back.
   */
  async follow(headTime: bigint): Promise<void> {
    const { publicClient, settlement } = this.#d;
    if (!this.#loaded) {
      // After a restart: the challenges this trader opened that may still be open.
      const logs = await publicClient.getContractEvents({
        address: settlement,
        abi: settlementAbi,
        eventName: "ChallengeOpened",
        fromBlock: this.#d.fromBlock,
        strict: true,
      });
      for (const l of logs)
        if (l.args.trader.toLowerCase() === this.#d.trader.toLowerCase())
          this.#open.add(l.args.challengeId);
      this.#loaded = true;
    }
    for (const id of [...this.#open]) {
      const c = await publicClient.readContract({
        address: settlement,
        abi: settlementAbi,
        functionName: "challenge",
        args: [id],
      });
      let outcome: ChallengeOutcome | undefined;
      if (c.status === CHALLENGE_ANSWERED) outcome = "answered";
      else if (c.status !== CHALLENGE_OPEN) outcome = "upheld";
      else if (headTime >= c.deadline) {
        outcome = await this.#d.write({ functionName: "upholdChallenge", args: [id] }).then(
          () => "upheld" as const,
          () => "failed" as const,
        );
      }
      if (outcome === undefined) continue;
      this.#open.delete(id);
      if (outcome === "answered") this.#d.stats.challengesAnswered++;
      else if (outcome === "upheld") this.#d.stats.challengesUpheld++;
      else this.#d.stats.challengesFailed++;
      this.#d.onChallengeOutcome?.(id, outcome);
    }
  }
}
