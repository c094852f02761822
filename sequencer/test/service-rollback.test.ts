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
import { BatchStatus } from "../src/chain/settlement-client.js";
import { devAccount, DEV_ROLES } from "../../scripts/lib/devchain/deploy-dev-stack.js";
import { startService, type RunningService } from "../src/runtime/service-runtime.js";
import { advanceTime, eventually, startDevChain, type DevChain } from "./helpers/dev-chain.js";
import {
  config,
  get,
  ONE_ETH,
  post,
  serviceEnv,
  signedOrder,
  trader,
  traderIndex,
  USDC,
  wire,
  fundTraders,
  traderClient,
} from "./helpers/service-kit.js";
import { streamChannels, type StreamEvent } from "../../sdk/src/stream.js";
import { streamShapes, wireFixture } from "./helpers/wire-snapshot.js";
import { allBatches } from "../src/read/paging.js";

async function send(chain: DevChain, index: number, data: Hex) {
  const wallet = createWalletClient({
    chain: chain.stack.chain,
    transport: http(chain.node.url),
    account: devAccount(index).account as Account,
  });
  const hash = await wallet.sendTransaction({ to: chain.stack.settlement, data });
  const receipt = await chain.stack.publicClient.waitForTransactionReceipt({ hash });
  if (receipt.status !== "success") throw new Error("reverted");
  return receipt;
}

describe("service rollback (unanswered challenge with a later pending batch)", () => {
  let chain: DevChain;
  let service: RunningService;

  beforeAll(async () => {
    chain = await startDevChain({ challengeWindow: 60n, challengeResponseWindow: 30n });
    await fundTraders(chain, { secondBuyer: true });
    service = await startService(config(await serviceEnv(chain, { CHALLENGE_RESPONDER: "false" })));
  }, 120_000);

  afterAll(async () => {
    await service?.stop();
    await chain?.stop();
  });

  it("busts the challenged order's fill, re-settles the later batch's fill, tells stream clients, and balances stay consistent", async () => {
    const url = service.url;
    // A client on the stream is told of every rollback: the batches' new status, each bust.
    const events: StreamEvent[] = [];
    const stream = traderClient(chain, url, traderIndex(0)).subscribe(
      [streamChannels.batches, streamChannels.account(trader(0))],
      (e) => events.push(e),
    );
    await stream.ready;
    const ask = await signedOrder(chain, traderIndex(1), {
      side: 1,
      price: USDC(2_000n),
      amount: 2n * ONE_ETH,
    });
    expect((await post(url, "/v1/orders", wire(ask))).status).toBe(201);
    const bid1 = await signedOrder(chain, traderIndex(0), {
      side: 0,
      price: USDC(2_000n),
      amount: ONE_ETH,
    });
    expect((await post(url, "/v1/orders", wire(bid1))).status).toBe(201);
    const first = await eventually(
      () => allBatches(service.core).find((b) => b.state === "COMMITTED"),
      30_000,
      "batch 1",
    );
    const bid2 = await signedOrder(chain, traderIndex(2), {
      side: 0,
      price: USDC(2_000n),
      amount: ONE_ETH / 2n,
    });
    expect((await post(url, "/v1/orders", wire(bid2))).status).toBe(201);
    const second = await eventually(
      () =>
        allBatches(service.core).find((b) => b.batchId > first.batchId && b.state === "COMMITTED"),
      30_000,
      "batch 2",
    );
    const fill1 = first.fillIds[0]!;
    const fill2 = second.fillIds[0]!;

    // trader 0 claims never to have signed bid1; nobody answers.
    const p = (await get(url, `/v1/fills/${fill1}/proof`)).body;
    const l = p.leaf;
    const leaf = {
      batchId: BigInt(l.batchId),
      index: Number(l.index),
      makerOrderHash: l.makerOrderHash,
      takerOrderHash: l.takerOrderHash,
      maker: l.maker,
      taker: l.taker,
      marketId: Number(l.marketId),
      takerSide: Number(l.takerSide),
      price: BigInt(l.price),
      baseAmount: BigInt(l.baseAmount),
      quoteAmount: BigInt(l.quoteAmount),
      makerFee: BigInt(l.makerFee),
      takerFee: BigInt(l.takerFee),
      makerFilledAfter: BigInt(l.makerFilledAfter),
      takerFilledAfter: BigInt(l.takerFilledAfter),
      takerFok: false,
      fokRunEnd: false,
    };
    const receipt = await send(
      chain,
      traderIndex(0),
      encodeFunctionData({
        abi: settlementAbi,
        functionName: "challengeFill",
        args: [leaf, p.proof],
      }),
    );
    const [opened] = parseEventLogs({
      abi: settlementAbi,
      logs: receipt.logs,
      eventName: "ChallengeOpened",
    });
    await advanceTime(chain.node.url, 31);
    await send(
      chain,
      DEV_ROLES.admin,
      encodeFunctionData({
        abi: settlementAbi,
        functionName: "upholdChallenge",
        args: [opened!.args.challengeId],
      }),
    );
    expect((await chain.client.batch(second.batchId)).status).toBe(BatchStatus.RolledBack);

    await eventually(
      () => (service.core.fill(fill1)?.state === "ROLLED_BACK" ? true : undefined),
      30_000,
      "bust",
    );
    const told = await eventually(
      () => {
        const rolled = events
          .filter((e) => e.channel === "batches" && e.event === "batch")
          .map((e) => e.data as { batchId: string; status: string })
          .filter((b) => b.status === "rolled_back")
          .map((b) => BigInt(b.batchId));
        const busts = events
          .filter((e) => e.channel === streamChannels.account(trader(0)) && e.event === "bust")
          .map((e) => e.data as { fillId: string; reason: string });
        return rolled.length >= 2 && busts.length >= 1 ? { rolled, busts } : undefined;
      },
      30_000,
      "the stream's rollback notices",
    );
    expect(told.rolled).toEqual(expect.arrayContaining([first.batchId, second.batchId]));
    expect(told.busts).toEqual([
      expect.objectContaining({
        fillId: String(fill1),
        reason: `ChallengeUnanswered in batch ${first.batchId}`,
      }),
    ]);
    stream.close();
    // The rollback's own messages (not the re-batch's, which race this point), against the wire
    // snapshot.
    const shapes = streamShapes(
      events.filter(
        (e) =>
          e.event === "bust" ||
          (e.event === "batch" && (e.data as { status: string }).status === "rolled_back"),
      ),
    );
    expect(shapes).toEqual(await wireFixture("stream-rollback-events", shapes));
    const fills0 = (await get(url, `/v1/accounts/${trader(0)}/fills`)).body.fills;
    expect(fills0.find((f: any) => f.fillId === String(fill1)).status).toBe("rolled_back");
    expect((await get(url, `/v1/orders/${bid1.hash}`)).body.status).not.toBe("open");
    // /metrics: both batches rolled back for the unanswered challenge, one fill busted for it.
    const metrics = await (await fetch(`${url}/metrics`)).text();
    expect(metrics).toContain(
      'clearmatch_batches_rolled_back_total{reason="ChallengeUnanswered"} 2',
    );
    expect(metrics).toContain('clearmatch_fills_busted_total{reason="ChallengeUnanswered"} 1');
    expect(metrics).toContain('clearmatch_chain_events_total{event="ChallengeUpheld"} 1');
    const rebatched = await eventually(
      () => {
        const f = service.core.fill(fill2)!;
        return f.state === "COMMITTED" && f.batchId! > second.batchId ? f.batchId : undefined;
      },
      30_000,
      "re-batch",
    );
    await advanceTime(chain.node.url, 61);
    await eventually(
      () => (service.core.fill(fill2)?.state === "FINALIZED" ? true : undefined),
      30_000,
      "finalize",
    );
    expect((await chain.client.batch(rebatched)).status).toBe(BatchStatus.Finalized);
    for (const account of [
      trader(0),
      trader(1),
      trader(2),
      devAccount(DEV_ROLES.feeRecipient).account.address,
    ]) {
      for (const token of Object.values(chain.stack.tokens)) {
        expect(service.core.ledger.balance(account, token).finalized).toBe(
          await chain.client.balanceOf(account, token),
        );
      }
    }
    // trader 0 gets nothing from the busted fill and has its funds back.
    expect(service.core.ledger.balance(trader(0), chain.stack.tokens.USDC!).available).toBe(
      USDC(10_000n),
    );
    service.core.ledger.checkInvariants();
  }, 120_000);
});
