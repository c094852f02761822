/**
 * The demo's final audit (`scripts/lib/audit-committed.ts`) against a real simulated chain (the
 * dev settlement stack) and the real HTTP API (Express app over a stub OrderService serving the
 * committed fills): an honest history audits clean; a fill of an order cancelled on-chain before
 * its commit and a fill re-claiming part of an order are both reported as provable.
 */
import {
  type BatchView,
  type FillProofView,
  type FillView,
  type FillLeaf,
  buildBatchCommit,
  hashFillLeaf,
} from "@clearmatch/protocol";
import type { Address } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { auditCommitted } from "../../scripts/lib/audit-committed.js";
import { KillSwitch, riskAdminControls } from "./helpers/risk-admin-controls.js";
import { createApp } from "../src/api/app.js";
import { startHttpServer, type HttpServer } from "../src/api/http-server.js";
import {
  devAccount,
  devCommitMarkets,
  DEV_ROLES,
  fundAndDeposit,
} from "../../scripts/lib/devchain/deploy-dev-stack.js";
import { createLogger } from "../src/logging/logger.js";
import { createMetrics } from "../src/metrics/metrics.js";
import { CircuitBreaker } from "../src/intake/circuit-breaker.js";
import { StubOrderService } from "./api-test-kit.js";
import { mineBlocks, startDevChain, type DevChain } from "./helpers/dev-chain.js";
import { devKey, sdkClient } from "./sdk-fixtures.js";
import { ClearmatchClient } from "../../sdk/src/clearmatch-client.js";
import { createWalletClient, http as httpTransport } from "viem";

const feeRecipient = devAccount(DEV_ROLES.feeRecipient).account.address;

/** Serves the committed fills, their proofs and batches. */
class CommittedStub extends StubOrderService {
  readonly fills = new Map<string, FillView>();
  readonly proofs = new Map<string, FillProofView>();
  readonly batches: BatchView[] = [];
  override async getAccountFills(account?: Address) {
    // (the stub's declared results are never[]: the route serializes whatever comes back)
    return [...this.fills.values()]
      .filter(
        (f) =>
          f.maker.toLowerCase() === account?.toLowerCase() ||
          f.taker.toLowerCase() === account?.toLowerCase(),
      )
      .reverse() as never[];
  }
  override async getBatches(query: { limit: number; before?: bigint | undefined }) {
    return this.batches
      .filter((b) => query.before === undefined || b.batchId < query.before)
      .sort((a, b) => (a.batchId > b.batchId ? -1 : 1))
      .slice(0, query.limit) as never[];
  }
  override async getFillProof(fillId: string): Promise<never> {
    const proof = this.proofs.get(fillId);
    if (proof) return proof as never;
    return super.getFillProof(fillId);
  }
}

let chain: DevChain;
let service: CommittedStub;
let server: HttpServer;
let baseUrl: string;

beforeAll(async () => {
  chain = await startDevChain();
  service = new CommittedStub();
  const logger = createLogger({ level: "silent" });
  const app = createApp({
    orderService: service,
    adminControls: riskAdminControls({
      killSwitch: new KillSwitch(),
      circuitBreaker: new CircuitBreaker({ moveBps: 1500, windowMs: 60_000 }),
      now: () => 1_000,
    }),
    metrics: createMetrics(),
    logger,
    readiness: () => ({ ready: true }),
  });
  server = await startHttpServer({
    app,
    logger,
    port: 0,
    shutdownGraceMs: 100,
    stream: { heartbeatMs: 0 },
  });
  baseUrl = `http://127.0.0.1:${server.address.port}`;
});

afterAll(async () => {
  await server?.close();
  await chain?.stop();
});

describe("auditCommitted", () => {
  let nextFillId = 1;

  async function sign(index: number, side: "buy" | "sell", nonce: bigint) {
    const options = { chainId: chain.stack.chain.id, settlement: chain.stack.settlement };
    const client = sdkClient(devKey(index), options);
    return client.signOrder(
      await client.buildOrder({
        marketId: 1,
        side,
        price: 2_500_000_000n,
        amount: 3n * 10n ** 18n,
        nonce,
        expiry: 1_900_000_000n,
      }),
    );
  }
  type Signed = Awaited<ReturnType<typeof sign>>;

  /** Commits the fills (maker sells, taker buys 1 WETH each) as the next batch and serves them. */
  async function commit(
    fills: { maker: Signed; taker: Signed; makerAfter: bigint; takerAfter: bigint }[],
  ) {
    const batchId = await chain.client.nextBatchId();
    const leaves: FillLeaf[] = fills.map((f, index) => ({
      batchId,
      index,
      makerOrderHash: f.maker.orderHash,
      takerOrderHash: f.taker.orderHash,
      maker: f.maker.order.trader,
      taker: f.taker.order.trader,
      marketId: 1,
      takerSide: 0,
      price: 2_500_000_000n,
      baseAmount: 10n ** 18n,
      quoteAmount: 2_500_000_000n,
      makerFee: 0n,
      takerFee: 2_500_000n,
      makerFilledAfter: f.makerAfter,
      takerFilledAfter: f.takerAfter,
      takerFok: false,
      fokRunEnd: false,
    }));
    const tree = buildBatchCommit(leaves, devCommitMarkets(chain.stack), feeRecipient);
    await chain.client.commitBatch(batchId, tree.commitFills, tree.deltas);
    const batch: BatchView = {
      batchId,
      status: "committed",
      fillCount: leaves.length,
      fillsRoot: tree.root,
    };
    service.batches.push(batch);
    const ids: string[] = [];
    leaves.forEach((leaf, i) => {
      const fillId = String(nextFillId++);
      ids.push(fillId);
      service.fills.set(fillId, {
        fillId,
        marketId: leaf.marketId,
        price: leaf.price,
        baseAmount: leaf.baseAmount,
        quoteAmount: leaf.quoteAmount,
        takerSide: leaf.takerSide,
        matchedAt: 1,
        status: "committed",
        makerOrderHash: leaf.makerOrderHash,
        takerOrderHash: leaf.takerOrderHash,
        maker: leaf.maker,
        taker: leaf.taker,
        makerFee: leaf.makerFee,
        takerFee: leaf.takerFee,
        batchId,
        index: leaf.index,
      });
      service.proofs.set(fillId, {
        fillId,
        leaf,
        leafHash: hashFillLeaf(leaf),
        proof: tree.proofs[i]!,
        batch,
        makerOrder: fills[i]!.maker,
        takerOrder: fills[i]!.taker,
      });
    });
    return { batchId, ids };
  }

  const accounts = () => [devAccount(12).account.address, devAccount(13).account.address];
  const audit = () =>
    auditCommitted({
      publicClient: chain.stack.publicClient,
      settlement: chain.stack.settlement,
      apiBaseUrl: baseUrl,
      accounts: accounts(),
    });

  it("finds nothing provable in an honest history", async () => {
    const maker = await sign(12, "sell", 5n);
    const taker = await sign(13, "buy", 5n);
    await commit([
      { maker, taker, makerAfter: 10n ** 18n, takerAfter: 10n ** 18n },
      { maker, taker, makerAfter: 2n * 10n ** 18n, takerAfter: 2n * 10n ** 18n },
    ]);
    expect(await audit()).toEqual({ committed: 2, provable: [], problems: [], coverage: [] });

    // Without an account list, the accounts are the depositors (Deposited logs).
    for (const index of [12, 13])
      await fundAndDeposit(chain.stack, chain.node.url, index, chain.stack.tokens["USDC"]!, 1_000n);
    expect(
      await auditCommitted({
        publicClient: chain.stack.publicClient,
        settlement: chain.stack.settlement,
        apiBaseUrl: baseUrl,
      }),
    ).toEqual({ committed: 2, provable: [], problems: [], coverage: [] });
  });

  it("reports a fill of an order cancelled the cancel grace before its commit, and a fill re-claiming part of an order", async () => {
    const maker = await sign(12, "sell", 5n);
    const taker = await sign(13, "buy", 5n);
    const taker2 = await sign(13, "buy", 6n);
    const wallet = new ClearmatchClient({
      baseUrl,
      chainId: chain.stack.chain.id,
      settlement: chain.stack.settlement,
      publicClient: chain.stack.publicClient,
      wallet: createWalletClient({
        chain: chain.stack.chain,
        transport: httpTransport(chain.node.url),
        account: devAccount(13).account,
      }),
    });
    await wallet.cancelOrderOnChain(taker.orderHash);
    // A cancel binds commits from the contract's cancel grace on (30 blocks on the dev chain).
    await mineBlocks(chain.node.url, 30);
    const { batchId, ids } = await commit([
      { maker, taker, makerAfter: 3n * 10n ** 18n, takerAfter: 3n * 10n ** 18n },
      // the maker order's [0, 1) WETH again: the first batch's first fill claimed it
      { maker, taker: taker2, makerAfter: 10n ** 18n, takerAfter: 10n ** 18n },
    ]);
    const result = await audit();
    expect(result.committed).toBe(4);
    expect(result.problems).toEqual([]);
    expect(result.coverage).toEqual([]);
    expect(result.provable).toEqual([
      {
        fillId: ids[0],
        batchId,
        kind: "Cancelled",
        side: "taker",
        orderHash: taker.orderHash,
        stillProvable: true,
      },
      {
        fillId: ids[1],
        batchId,
        kind: "ConflictingFills",
        side: "maker",
        orderHash: maker.orderHash,
        conflictsWith: "1",
        stillProvable: true,
      },
    ]);
  });

  it("reports a batch the served fills do not cover", async () => {
    const maker = await sign(12, "sell", 7n);
    const taker = await sign(13, "buy", 7n);
    const { ids } = await commit([
      { maker, taker, makerAfter: 10n ** 18n, takerAfter: 10n ** 18n },
    ]);
    service.fills.delete(ids[0]!);
    const result = await audit();
    expect(result.coverage).toEqual([
      { batchId: service.batches.at(-1)!.batchId, fillCount: 1, audited: 0 },
    ]);
  });
});
