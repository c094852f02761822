/**
 * Answers `ChallengeOpened` on-chain with the signed order the core holds ("I never signed
 * this" answered with the trader's own signature). Idempotent: a challenge is answered once per
 * process, and an answer the chain refuses because the challenge is no longer open is fine.
 */
import type { Hex } from "viem";
import type { SettlementClient } from "../chain/settlement-client.js";
import type { Logger } from "../logging/logger.js";
import type { AppliedListener, ApplyResult } from "../core/core-types.js";
import type { ExchangeCore } from "../core/exchange-core.js";

/** ISettlement.ChallengeStatus.Open */
const CHALLENGE_OPEN = 1;

export class ChallengeResponder implements AppliedListener {
  readonly #answered = new Set<string>();
  constructor(
    private readonly core: ExchangeCore,
    private readonly client: SettlementClient,
    private readonly logger: Logger,
  ) {}

  /**
   * After a restart: answers every challenge the core has seen that is still open on-chain (one
   * delivered before a crash was journaled but maybe never answered; the watcher will not deliver
   * it again).
   */
  async resume(): Promise<number> {
    let answered = 0;
    for (const [challengeId, { orderHash }] of this.core.challenges()) {
      const onChain = await this.client.challenge(challengeId);
      if (onChain.status !== CHALLENGE_OPEN) continue;
      this.answer(challengeId, orderHash);
      answered++;
    }
    return answered;
  }

  /** Answers each challenge the core saw opened (live). */
  applied(_record: unknown, result: ApplyResult): void {
    for (const out of result.outputs) {
      if (out.type === "challenge") this.answer(out.challengeId, out.orderHash);
    }
  }

  answer(challengeId: bigint, orderHash: Hex): void {
    const key = challengeId.toString();
    if (this.#answered.has(key)) return;
    const order = this.core.order(orderHash);
    if (!order) {
      this.logger.warn({ challengeId, orderHash }, "challenge names an order we do not hold");
      return;
    }
    this.#answered.add(key);
    this.client
      .answerChallenge(challengeId, order.order, order.signature)
      .then(() => this.logger.info({ challengeId, orderHash }, "challenge answered"))
      .catch((error: unknown) => {
        this.#answered.delete(key);
        this.logger.warn({ err: error, challengeId }, "challenge answer failed");
      });
  }
}
