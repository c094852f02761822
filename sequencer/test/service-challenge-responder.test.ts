import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseEventLogs } from "viem";
import { settlementAbi } from "@clearmatch/protocol";
import { BatchStatus } from "../src/chain/settlement-client.js";
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
  trader,
  traderClient,
  traderIndex,
  USDC,
  wire,
  fundTraders,
} from "./helpers/service-kit.js";
import { allBatches } from "../src/read/paging.js";

/** ISettlement.ChallengeStatus.Answered */
const ANSWERED = 2;

describe("challenge responder (running service answers a trader's challenge on-chain)", () => {
  let chain: DevChain;
  let service: RunningService;

  beforeAll(async () => {
    chain = await startDevChain({ challengeWindow: 30n, challengeResponseWindow: 20n });
    await fundTraders(chain);
    service = await startService(config(await serviceEnv(chain, { CHALLENGE_RESPONDER: "true" })));
  }, 120_000);

  afterAll(async () => {
    await service?.stop();
    await chain?.stop();
  });

  it("answers a challenge with the signed order and the batch still finalizes after the window", async () => {
    const batch = await tradeAndCommit(chain, service);

    // Trader 0 claims never to have signed its bid, through the SDK and the served proof.
    const sdk = traderClient(chain, service.url, traderIndex(0));
    const proof = await sdk.getFillProof(String(batch.fillIds[0]));
    const { challengeId } = await sdk.challengeFill(proof);

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
    const logs = await chain.stack.publicClient.getLogs({
      address: chain.stack.settlement,
      fromBlock: 0n,
    });
    const answered = parseEventLogs({ abi: settlementAbi, logs, eventName: "ChallengeAnswered" });
    expect(answered.map((e) => e.args.challengeId)).toEqual([challengeId]);

    await advanceTime(chain.node.url, 31);
    await eventually(
      () => (service.core.batch(batch.batchId)?.state === "FINALIZED" ? true : undefined),
      30_000,
      "finalization",
    );
    expect((await chain.client.batch(batch.batchId)).status).toBe(BatchStatus.Finalized);
    for (const account of [
      trader(0),
      trader(1),
      devAccount(DEV_ROLES.feeRecipient).account.address,
    ]) {
      for (const token of Object.values(chain.stack.tokens)) {
        expect(service.core.ledger.balance(account, token).finalized).toBe(
          await chain.client.balanceOf(account, token),
        );
      }
    }
  }, 90_000);
  it("answers after a restart a challenge that arrived while no responder ran", async () => {
    // A sequencer that journals the ChallengeOpened event but does not answer (as if it crashed
    // right after): then a restart, on the same data directory, with the responder on.
    await service.stop();
    const env = await serviceEnv(chain, { CHALLENGE_RESPONDER: "false" });
    service = await startService(config(env));
    const ask = await signedOrder(chain, traderIndex(1), {
      side: 1,
      price: USDC(2_000n),
      amount: ONE_ETH / 2n,
    });
    expect((await post(service.url, "/v1/orders", wire(ask))).status).toBe(201);
    const bid = await signedOrder(chain, traderIndex(0), {
      side: 0,
      price: USDC(2_000n),
      amount: ONE_ETH / 2n,
    });
    expect((await post(service.url, "/v1/orders", wire(bid))).status).toBe(201);
    const batch = await eventually(
      () => allBatches(service.core).find((b) => b.state === "COMMITTED"),
      30_000,
      "a committed batch",
    );
    const sdk = traderClient(chain, service.url, traderIndex(0));
    const { challengeId } = await sdk.challengeFill(
      await sdk.getFillProof(String(batch.fillIds[0])),
    );
    await eventually(
      () => (service.core.challengeOf(challengeId) ? true : undefined),
      20_000,
      "the core to journal the challenge",
    );
    const status = async () =>
      (
        await chain.stack.publicClient.readContract({
          address: chain.stack.settlement,
          abi: settlementAbi,
          functionName: "challenge",
          args: [challengeId],
        })
      ).status;
    expect(await status()).toBe(1); // still open: nobody answered
    await service.stop();

    service = await startService(config({ ...env, CHALLENGE_RESPONDER: "true" }));
    await eventually(
      async () => ((await status()) === ANSWERED ? true : undefined),
      20_000,
      "the challenge answered after the restart",
    );
  }, 90_000);
});
