import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createWalletClient,
  encodeFunctionData,
  http,
  parseEventLogs,
  type Account,
  type Hex,
} from "viem";
import { settlementAbi } from "@clearmatch/protocol";
import { devAccount, DEV_ROLES } from "../../scripts/lib/devchain/deploy-dev-stack.js";
import { startService, type RunningService } from "../src/runtime/service-runtime.js";
import { advanceTime, eventually, startDevChain, type DevChain } from "./helpers/dev-chain.js";
import {
  config,
  ONE_ETH,
  post,
  serviceEnv,
  tradeAndCommit,
  signedOrder,
  traderClient,
  traderIndex,
  USDC,
  wire,
  fundTraders,
} from "./helpers/service-kit.js";
import { allBatches } from "../src/read/paging.js";

/** ISettlement.ChallengeStatus.Answered */
const ANSWERED = 2;
const DISPUTE_BOND = 10n ** 17n;

/**
 * Series of a Prometheus exposition, keyed `name{a="1",b="2"}` with the labels sorted by name
 * (so a test need not know the order the client prints them in).
 */
function parseMetrics(text: string): Map<string, number> {
  const series = new Map<string, number>();
  for (const line of text.split("\n")) {
    if (line.startsWith("#") || line.trim() === "") continue;
    const at = line.lastIndexOf(" ");
    const key = line.slice(0, at);
    const brace = key.indexOf("{");
    const normal =
      brace < 0
        ? key
        : `${key.slice(0, brace)}{${key
            .slice(brace + 1, -1)
            .split(/,(?=[a-zA-Z_]+=")/)
            .sort()
            .join(",")}}`;
    series.set(normal, Number(line.slice(at + 1)));
  }
  return series;
}

async function scrape(service: RunningService): Promise<Map<string, number>> {
  return parseMetrics(await (await fetch(`${service.url}/metrics`)).text());
}

async function send(chain: DevChain, index: number, data: Hex, value = 0n) {
  const wallet = createWalletClient({
    chain: chain.stack.chain,
    transport: http(chain.node.url),
    account: devAccount(index).account as Account,
  });
  const hash = await wallet.sendTransaction({ to: chain.stack.settlement, data, value });
  const receipt = await chain.stack.publicClient.waitForTransactionReceipt({ hash });
  if (receipt.status !== "success") throw new Error("reverted");
  return receipt;
}

describe("settlement metrics of the running service (hardhat node + Redis)", () => {
  let chain: DevChain;
  let service: RunningService;
  let env: Record<string, string>;

  beforeAll(async () => {
    chain = await startDevChain({
      challengeWindow: 30n,
      challengeResponseWindow: 20n,
      disputeBond: DISPUTE_BOND,
    });
    await fundTraders(chain);
    env = await serviceEnv(chain, { CHALLENGE_RESPONDER: "true" });
    service = await startService(config(env));
  }, 120_000);

  afterAll(async () => {
    await service?.stop();
    await chain?.stop();
  });

  it("counts commits, finalizations, a rollback by reason, a challenge seen and answered, a dispute, and shows the sequencer's gas balance", async () => {
    const first = await tradeAndCommit(chain, service);

    // Trader 0 says it never signed its bid; the responder answers with the signature.
    const sdk = traderClient(chain, service.url, traderIndex(0));
    const { challengeId } = await sdk.challengeFill(
      await sdk.getFillProof(String(first.fillIds[0])),
    );
    await eventually(
      async () => {
        const c = await chain.stack.publicClient.readContract({
          address: chain.stack.settlement,
          abi: settlementAbi,
          functionName: "challenge",
          args: [challengeId],
        });
        return c.status === ANSWERED ? true : undefined;
      },
      20_000,
      "the challenge answered",
    );

    // A bonded dispute about the batch, upheld by the arbiter: the batch rolls back
    // (DisputeUpheld busts nothing) and its fill is re-batched, committed and finalized.
    const opened = await send(
      chain,
      traderIndex(2),
      encodeFunctionData({
        abi: settlementAbi,
        functionName: "openDispute",
        args: [first.batchId, `0x${"11".repeat(32)}`],
      }),
      DISPUTE_BOND,
    );
    const [dispute] = parseEventLogs({
      abi: settlementAbi,
      logs: opened.logs,
      eventName: "DisputeOpened",
    });
    await send(
      chain,
      DEV_ROLES.arbiter,
      encodeFunctionData({
        abi: settlementAbi,
        functionName: "resolveDispute",
        args: [dispute!.args.disputeId, true],
      }),
    );
    const second = await eventually(
      () =>
        allBatches(service.core).find((b) => b.batchId > first.batchId && b.state === "COMMITTED"),
      30_000,
      "the re-batched fill committed",
    );
    expect(service.core.batch(first.batchId)?.state).toBe("ROLLED_BACK");
    await advanceTime(chain.node.url, 31);
    await eventually(
      () => (service.core.batch(second.batchId)?.state === "FINALIZED" ? true : undefined),
      30_000,
      "finalization",
    );

    const sequencer = devAccount(DEV_ROLES.sequencer).account.address;
    // Every sequencer transaction is confirmed and the balance read after the last one.
    const m = await eventually(
      async () => {
        const m = await scrape(service);
        const onChain = await chain.stack.publicClient.getBalance({ address: sequencer });
        return m.get(
          'clearmatch_sequencer_transactions_total{method="finalizeBatch",outcome="confirmed"}',
        ) === 1 &&
          // The pipeline's own view of the finalization lands a moment after the sender's.
          m.get("clearmatch_batch_finalize_latency_seconds_count") === 1 &&
          m.get("clearmatch_sequencer_gas_balance_wei") === Number(onChain)
          ? m
          : undefined;
      },
      15_000,
      "the finalization counted (sender and pipeline) and the gas balance refreshed",
    );

    // Seen on-chain (the core applied them).
    expect(m.get("clearmatch_batches_committed_total")).toBe(2);
    expect(m.get("clearmatch_batches_finalized_total")).toBe(1);
    expect(m.get('clearmatch_batches_rolled_back_total{reason="DisputeUpheld"}')).toBe(1);
    expect(m.get('clearmatch_batches_rolled_back_total{reason="FraudProof"}')).toBe(0);
    expect(m.get('clearmatch_batches_rolled_back_total{reason="ChallengeUnanswered"}')).toBe(0);
    for (const [event, n] of [
      ["ChallengeOpened", 1],
      ["ChallengeAnswered", 1],
      ["ChallengeUpheld", 0],
      ["DisputeOpened", 1],
      ["DisputeResolved", 1],
      ["FraudProven", 0],
      ["BatchCommitted", 2],
      ["BatchFinalized", 1],
      ["BatchesRolledBack", 1],
    ] as const) {
      expect([event, m.get(`clearmatch_chain_events_total{event="${event}"}`)]).toEqual([event, n]);
    }
    expect(m.get('clearmatch_chain_events_total{event="Deposited"}')).toBe(2);
    // Nothing was busted (a dispute names no fill).
    expect([...m.keys()].filter((k) => k.startsWith("clearmatch_fills_busted_total{"))).toEqual([]);

    // Sent by the sequencer.
    expect(
      m.get('clearmatch_sequencer_transactions_total{method="commitBatch",outcome="confirmed"}'),
    ).toBe(2);
    expect(
      m.get(
        'clearmatch_sequencer_transactions_total{method="answerChallenge",outcome="confirmed"}',
      ),
    ).toBe(1);
    expect(m.get('clearmatch_sequencer_transaction_seconds_count{method="commitBatch"}')).toBe(2);
    expect(
      m.get('clearmatch_sequencer_transaction_seconds_sum{method="commitBatch"}'),
    ).toBeGreaterThan(0);
    expect(
      m.get('clearmatch_sequencer_transaction_gas_used_total{method="commitBatch"}'),
    ).toBeGreaterThan(21_000 * 2);
    expect(
      m.get('clearmatch_sequencer_transaction_fees_wei_total{method="answerChallenge"}'),
    ).toBeGreaterThan(0);
    // Cut to commit landing, per committed batch (the pipeline's view).
    expect(m.get("clearmatch_batch_commit_latency_seconds_count")).toBe(2);
    expect(m.get("clearmatch_batch_finalize_latency_seconds_count")).toBe(1);
    expect(m.get("clearmatch_match_to_finality_seconds_count")).toBe(1);
  }, 120_000);

  it("does not count again what a restart replays from the journal", async () => {
    await service.stop();
    service = await startService(config(env));
    // A fresh registry: whatever the journal replays and the watcher skips is not counted.
    await new Promise((r) => setTimeout(r, 500));
    const m = await scrape(service);
    expect(m.get("clearmatch_batches_committed_total")).toBe(0);
    expect(m.get("clearmatch_batches_finalized_total")).toBe(0);
    expect(m.get('clearmatch_batches_rolled_back_total{reason="DisputeUpheld"}')).toBe(0);
    expect(m.get('clearmatch_chain_events_total{event="ChallengeOpened"}')).toBe(0);
    expect(m.get('clearmatch_chain_events_total{event="DisputeOpened"}')).toBe(0);
    expect(m.get('clearmatch_chain_events_total{event="Deposited"}')).toBeUndefined();
    // The gauge is read at start-up.
    const onChain = await chain.stack.publicClient.getBalance({
      address: devAccount(DEV_ROLES.sequencer).account.address,
    });
    expect(m.get("clearmatch_sequencer_gas_balance_wei")).toBe(Number(onChain));
  }, 60_000);
});
