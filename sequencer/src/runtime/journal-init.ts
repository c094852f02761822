/**
 * A journal's first record and the check every start makes against it: on a fresh DATA_DIR the
 * chain's next batch id and fee recipient, with this configuration's fees and expiry margin, are
 * journaled once (`init`); a journal whose expiry margin no longer covers the configured batch age
 * and commit latency refuses to start.
 */
import { settlementAbi } from "@clearmatch/protocol";
import type { Address, PublicClient } from "viem";
import type { SettlementClient } from "../chain/settlement-client.js";
import { requiredExpiryMarginSec, type Config } from "../config/config.js";
import type { ApplyResult } from "../core/core-types.js";
import type { ExchangeCore } from "../core/exchange-core.js";
import type { ServiceRecord } from "../core/service-record.js";
import { ClearmatchError } from "../errors/clearmatch-error.js";
import type { Logger } from "../logging/logger.js";
import { retry } from "./retry.js";

export interface InitJournalDeps {
  core: ExchangeCore;
  commit: (record: ServiceRecord) => Promise<ApplyResult>;
  client: SettlementClient;
  publicClient: PublicClient;
  config: Config;
  logger: Logger;
  now: () => number;
}

/** Journals the `init` record on first start (reads retried until the chain answers). */
export async function initJournal(deps: InitJournalDeps): Promise<void> {
  const { core, commit, client, publicClient, config, logger, now } = deps;
  if (core.initialized) return;
  const [nextBatchId, feeRecipient] = await retry(logger, "read chain parameters", () =>
    Promise.all([
      client.nextBatchId(),
      publicClient.readContract({
        address: config.SETTLEMENT_ADDRESS,
        abi: settlementAbi,
        functionName: "feeRecipient",
      }) as Promise<Address>,
    ]),
  );
  await commit({
    kind: "init",
    ms: now(),
    nextBatchId,
    feeRecipient,
    makerFeeBps: config.MAKER_FEE_BPS,
    takerFeeBps: config.TAKER_FEE_BPS,
    expiryMarginSec: config.EXPIRY_MARGIN_SECONDS,
  });
}

/** The margin is the journal's (its init record); the batch age and latency bound are today's. */
export function checkExpiryMargin(core: ExchangeCore, config: Config): void {
  const margin = requiredExpiryMarginSec(config);
  if (core.expiryMarginSec < margin) {
    // main.ts prints `fix` under the message.
    throw Object.assign(
      new ClearmatchError(
        "CONFIG_INVALID",
        `this journal's expiry margin is ${core.expiryMarginSec} s, less than BATCH_MAX_MS rounded up to seconds + COMMIT_LATENCY_MAX + 1 = ${margin} s: a fill matched just before its order stops trading could commit after the order expired`,
      ),
      {
        fix: `lower BATCH_MAX_MS or COMMIT_LATENCY_MAX, or start on a new DATA_DIR with EXPIRY_MARGIN_SECONDS >= ${margin}`,
      },
    );
  }
}
