import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { devAccount, DEV_ROLES } from "../src/devchain/deploy-dev-stack.js";
import { BatchStatus } from "../src/chain/settlement-client.js";
import { startService, type RunningService } from "../src/service/service-runtime.js";
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
} from "./helpers/service-kit.js";

describe("service lifecycle (hardhat node + Redis, real signatures over HTTP)", () => {
  let chain: DevChain;
  let service: RunningService;

  beforeAll(async () => {
    chain = await startDevChain({ challengeWindow: 30n });
    await fundTraders(chain, { secondBuyer: true });
    service = await startService(config(await serviceEnv(chain)));
  }, 120_000);

  afterAll(async () => {
    await service?.stop();
    await chain?.stop();
  });

  it("matches signed orders, commits and finalizes the batch, and the vault equals the sequencer's finalized view", async () => {
    const url = service.url;
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
    const r1 = await post(url, "/v1/orders", wire(bid1));
    expect(r1.status).toBe(201);
    expect(r1.body.fills?.length ?? r1.body.order?.fills?.length ?? 1).toBeGreaterThan(0);
    const bid2 = await signedOrder(chain, traderIndex(2), {
      side: 0,
      price: USDC(2_000n),
      amount: ONE_ETH / 2n,
    });
    expect((await post(url, "/v1/orders", wire(bid2))).status).toBe(201);

    const fills = await get(url, `/v1/accounts/${trader(1)}/fills`);
    expect(fills.status).toBe(200);
    const startBatch = service.core.batches().at(-1)?.batchId;
    // Cut, commit (chain event), advance past the window, finalize.
    const batchId = await eventually(
      () => service.core.batches().find((b) => b.state === "COMMITTED")?.batchId,
      30_000,
      "a committed batch",
    );
    expect(startBatch === undefined || startBatch <= batchId).toBe(true);
    await advanceTime(chain.node.url, 31);
    await eventually(
      () => (service.core.batch(batchId)?.state === "FINALIZED" ? true : undefined),
      30_000,
      "finalization",
    );
    expect((await chain.client.batch(batchId)).status).toBe(BatchStatus.Finalized);

    const proof = await get(url, `/v1/fills/${service.core.batch(batchId)!.fillIds[0]}/proof`);
    expect(proof.status).toBe(200);
    expect(proof.body.makerOrder.signature).toMatch(/^0x/);

    const accounts = [
      trader(0),
      trader(1),
      trader(2),
      devAccount(DEV_ROLES.feeRecipient).account.address,
    ];
    for (const account of accounts) {
      for (const token of Object.values(chain.stack.tokens)) {
        const onChain = await chain.client.balanceOf(account, token);
        expect(service.core.ledger.balance(account, token).finalized, `${account} ${token}`).toBe(
          onChain,
        );
      }
    }
    expect(
      service.core.ledger.balance(trader(1), chain.stack.tokens.USDC!).finalized,
    ).toBeGreaterThan(0n);
    service.core.ledger.checkInvariants();
  }, 90_000);
});
