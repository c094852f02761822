/**
 * The SDK's on-chain calls on a real simulated chain (hardhat node, settlement stack deployed
 * from the artifacts): deposit with approval, the withdrawal escape hatch, on-chain cancels
 * and nonce invalidation, fill challenges, and `verifyFillProof` against the committed root.
 */
import {
  type FillProofView,
  settlementAbi,
  buildBatchCommit,
  buildFillTree,
  hashFillLeaf,
  type FillLeaf,
  fraudKindCode,
} from "@clearmatch/protocol";
import { createWalletClient, erc20Abi, http, type Address } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ClearmatchClient } from "../../sdk/src/clearmatch-client.js";
import { nonceFloorAt } from "../../sdk/src/order-params.js";
import {
  devAccount,
  devCommitMarkets,
  devTokenAbi,
  DEV_ROLES,
} from "../../scripts/lib/devchain/deploy-dev-stack.js";
import { advanceTime, mineBlocks, startDevChain, type DevChain } from "./helpers/dev-chain.js";
import { devKey, proofFixture, sdkClient, type ProofFixture } from "./sdk-fixtures.js";
import { fillStruct } from "@clearmatch/protocol";

const feeRecipient = devAccount(DEV_ROLES.feeRecipient).account.address;

let chain: DevChain;
let usdc: Address;
/** Dev accounts 11 and 12: the maker and the taker of `proofFixture`. */
const maker = devAccount(11).account;

function clientFor(account = maker, chainId?: number) {
  const { stack, node } = chain;
  return new ClearmatchClient({
    baseUrl: "http://127.0.0.1:1",
    chainId: chainId ?? stack.chain.id,
    settlement: stack.settlement,
    wallet: createWalletClient({ chain: stack.chain, transport: http(node.url), account }),
    publicClient: stack.publicClient,
  });
}

const read = <T>(functionName: string, args: readonly unknown[]) =>
  chain.stack.publicClient.readContract({
    address: chain.stack.settlement,
    abi: settlementAbi,
    functionName: functionName as never,
    args: args as never,
  }) as Promise<T>;

beforeAll(async () => {
  chain = await startDevChain({ withdrawalDelay: 180n });
  usdc = chain.stack.tokens["USDC"]!;
  const admin = createWalletClient({
    chain: chain.stack.chain,
    transport: http(chain.node.url),
    account: devAccount(DEV_ROLES.admin).account,
  });
  const hash = await admin.writeContract({
    address: usdc,
    abi: devTokenAbi,
    functionName: "mint",
    args: [maker.address, 1_000_000_000n],
  });
  await chain.stack.publicClient.waitForTransactionReceipt({ hash });
});

afterAll(async () => {
  await chain?.stop();
});

describe("SDK on-chain", () => {
  it("deposits, approving exactly the amount when the allowance is short", async () => {
    const client = clientFor();
    const first = await client.deposit(usdc, 400_000_000n);
    expect(first.approval?.receipt.status).toBe("success");
    expect(await client.getVaultBalance(usdc)).toBe(400_000_000n);
    const allowance = await chain.stack.publicClient.readContract({
      address: usdc,
      abi: erc20Abi,
      functionName: "allowance",
      args: [maker.address, chain.stack.settlement],
    });
    expect(allowance).toBe(0n);
  });

  it("deposits without an approval when the allowance covers the amount", async () => {
    const wallet = createWalletClient({
      chain: chain.stack.chain,
      transport: http(chain.node.url),
      account: maker,
    });
    const hash = await wallet.writeContract({
      address: usdc,
      abi: erc20Abi,
      functionName: "approve",
      args: [chain.stack.settlement, 100_000_000n],
    });
    await chain.stack.publicClient.waitForTransactionReceipt({ hash });
    const result = await clientFor().deposit(usdc, 100_000_000n);
    expect(result.approval).toBeUndefined();
    expect(await clientFor().getVaultBalance(usdc)).toBe(500_000_000n);
  });

  it("requests a withdrawal and completes it after the delay, without the sequencer", async () => {
    const client = clientFor();
    await client.requestWithdrawal(usdc, 150_000_000n);
    expect((await client.getWithdrawalRequest(usdc)).amount).toBe(150_000_000n);
    await expect(client.withdraw(usdc)).rejects.toMatchObject({
      code: "TRANSACTION_FAILED",
      details: { errorName: expect.stringMatching(/^Settlement/) },
    });

    await advanceTime(chain.node.url, 181);
    const before = await chain.stack.publicClient.readContract({
      address: usdc,
      abi: erc20Abi,
      functionName: "balanceOf",
      args: [maker.address],
    });
    await client.withdraw(usdc);
    const after = await chain.stack.publicClient.readContract({
      address: usdc,
      abi: erc20Abi,
      functionName: "balanceOf",
      args: [maker.address],
    });
    expect(after - before).toBe(150_000_000n);
    expect(await client.getVaultBalance(usdc)).toBe(350_000_000n);
  });

  it("takes a withdrawal request back", async () => {
    const client = clientFor();
    await client.requestWithdrawal(usdc, 1_000_000n);
    expect((await client.getWithdrawalRequest(usdc)).amount).toBe(1_000_000n);
    await client.cancelWithdrawal(usdc);
    expect((await client.getWithdrawalRequest(usdc)).amount).toBe(0n);
    await expect(client.cancelWithdrawal(usdc)).rejects.toMatchObject({
      code: "TRANSACTION_FAILED",
      details: { errorName: "SettlementNoWithdrawalRequest" },
    });
  });

  it("cancels an order on-chain and invalidates nonces below a clock floor", async () => {
    const client = clientFor();
    const signed = await client.signOrder(
      await client.buildOrder({ marketId: 1, side: "buy", price: 10_000n, amount: 10n ** 15n }),
    );
    const { receipt } = await client.cancelOrderOnChain(signed.orderHash);
    expect(await read<bigint>("cancelledAtBlock", [maker.address, signed.orderHash])).toBe(
      receipt.blockNumber,
    );
    const floor = nonceFloorAt(Date.now() + 1);
    await client.invalidateNonces(floor);
    expect(await read<bigint>("minNonce", [maker.address])).toBe(floor);
    expect(signed.order.nonce < floor).toBe(true);
  });

  it("refuses to send from a wallet on another chain", async () => {
    await expect(clientFor(maker, 1).deposit(usdc, 1n)).rejects.toMatchObject({
      code: "WRONG_CHAIN",
    });
  });

  describe("with a committed batch", () => {
    let fixture: ProofFixture;

    beforeAll(async () => {
      const batchId = await read<bigint>("nextBatchId", []);
      const domain = { chainId: chain.stack.chain.id, verifyingContract: chain.stack.settlement };
      fixture = await proofFixture(batchId, domain);
      const commit = buildBatchCommit(fixture.fills, devCommitMarkets(chain.stack), feeRecipient);
      expect(commit.root).toBe(fixture.proofs[0]!.batch.fillsRoot);
      await chain.client.commitBatch(batchId, commit.commitFills, commit.deltas);
    });

    it("verifies a fill proof against the root committed on-chain", async () => {
      const result = await clientFor().verifyFillProof(fixture.proofs[1]!);
      expect(result).toMatchObject({ valid: true, onChain: { status: "pending" } });
      if (result.valid) expect(result.onChain?.fillsRoot).toBe(fixture.proofs[1]!.batch.fillsRoot);
    });

    it("rejects a self-consistent proof of a root the chain never committed", async () => {
      // Same orders, other fills: a tree that verifies off-chain but is not the committed one.
      const proof = fixture.proofs[1]!;
      const fills = fixture.fills.map((f) => ({ ...f, takerFee: f.takerFee + 1n }));
      const tree = buildFillTree(fills);
      const other = {
        ...proof,
        leaf: fills[1]!,
        leafHash: tree.leafHashes[1]!,
        proof: tree.proofs[1]!,
        batch: { ...proof.batch, fillsRoot: tree.root },
      };
      expect(await clientFor().verifyFillProof(other, { onChain: false })).toMatchObject({
        valid: true,
      });
      expect(await clientFor().verifyFillProof(other)).toMatchObject({
        valid: false,
        reason: "ONCHAIN_ROOT_MISMATCH",
      });
      await expect(clientFor().challengeFill(other)).rejects.toMatchObject({
        code: "INVALID_FILL_PROOF",
      });
    });

    it("challenges a fill naming the wallet's account", async () => {
      const { challengeId } = await clientFor().challengeFill(fixture.proofs[2]!);
      const challenge = await read<{ batchId: bigint; trader: Address; status: number }>(
        "challenge",
        [challengeId],
      );
      expect(challenge).toMatchObject({
        batchId: fixture.fills[2]!.batchId,
        trader: maker.address,
        status: 1,
      });
    });

    it("refuses to challenge a fill that names someone else", async () => {
      await expect(
        clientFor(devAccount(13).account).challengeFill(fixture.proofs[0]!),
      ).rejects.toMatchObject({
        code: "INVALID_FILL_PROOF",
      });
    });
  });

  describe("provable fraud (the contract's rules under the chain's state at the commit)", () => {
    /** Dev accounts 12 (maker, sells) and 13 (taker, buys): nonces untouched by the tests above. */
    async function orders() {
      const options = { chainId: chain.stack.chain.id, settlement: chain.stack.settlement };
      const sign = async (index: number, side: "buy" | "sell") => {
        const client = sdkClient(devKey(index), options);
        return client.signOrder(
          await client.buildOrder({
            marketId: 1,
            side,
            price: 2_500_000_000n,
            amount: 3n * 10n ** 18n,
            nonce: 5n,
            expiry: 1_900_000_000n,
          }),
        );
      };
      return { maker: await sign(12, "sell"), taker: await sign(13, "buy") };
    }

    /** Commits one fill of `maker` against `taker` (cumulative `after`) as the next batch. */
    async function commitFill(
      { maker, taker }: Awaited<ReturnType<typeof orders>>,
      after: bigint,
    ): Promise<FillProofView> {
      const batchId = await read<bigint>("nextBatchId", []);
      const leaf: FillLeaf = {
        batchId,
        index: 0,
        makerOrderHash: maker.orderHash,
        takerOrderHash: taker.orderHash,
        maker: maker.order.trader,
        taker: taker.order.trader,
        marketId: 1,
        takerSide: 0,
        price: 2_500_000_000n,
        baseAmount: 10n ** 18n,
        quoteAmount: 2_500_000_000n,
        makerFee: 0n,
        takerFee: 2_500_000n,
        makerFilledAfter: after,
        takerFilledAfter: after,
        takerFok: false,
        fokRunEnd: false,
      };
      const commit = buildBatchCommit([leaf], devCommitMarkets(chain.stack), feeRecipient);
      await chain.client.commitBatch(batchId, commit.commitFills, commit.deltas);
      return {
        fillId: `${batchId}:0`,
        leaf,
        leafHash: hashFillLeaf(leaf),
        proof: commit.proofs[0]!,
        batch: { batchId, status: "committed", fillCount: 1, fillsRoot: commit.root },
        makerOrder: maker,
        takerOrder: taker,
      };
    }

    it("reports no provable side for an honest fill, and a side cancelled on-chain the cancel grace before a later commit", async () => {
      const signed = await orders();
      const first = await commitFill(signed, 10n ** 18n);
      const client = clientFor();
      expect(await client.verifyFillProof(first)).toMatchObject({
        valid: true,
        onChain: { status: "pending" },
        provable: [],
      });

      // The taker cancels on-chain: the committed fill stays valid, and so does one committed
      // within the cancel grace (30 blocks on the dev chain); a commit after it is provable.
      await clientFor(devAccount(13).account).cancelOrderOnChain(signed.taker.orderHash);
      expect(await client.verifyFillProof(first)).toMatchObject({ valid: true, provable: [] });
      const within = await commitFill(signed, 2n * 10n ** 18n);
      expect(await client.verifyFillProof(within)).toMatchObject({ valid: true, provable: [] });
      await mineBlocks(chain.node.url, 30);
      const second = await commitFill(signed, 3n * 10n ** 18n);
      const verdict = await client.verifyFillProof(second);
      expect(verdict).toMatchObject({
        valid: true,
        provable: [{ kind: "Cancelled", side: "taker", orderHash: signed.taker.orderHash }],
      });
      expect(await client.verifyFillProof(second, { checkRules: false })).not.toHaveProperty(
        "provable",
      );

      // The contract agrees: proveFillFraud would return FraudKind.Cancelled (7).
      const { result } = await chain.stack.publicClient.simulateContract({
        account: devAccount(13).account.address,
        address: chain.stack.settlement,
        abi: settlementAbi,
        functionName: "proveFillFraud",
        args: [fillStruct(second.leaf), [...second.proof], signed.taker.order, false],
      });
      expect(result).toBe(fraudKindCode("Cancelled"));
    });
  });
});
