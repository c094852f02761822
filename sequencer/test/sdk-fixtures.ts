/**
 * Fixtures of the SDK tests: real keys, orders signed through the SDK, and a batch of fills
 * between them with its Merkle tree built by the sequencer's own `buildFillTree`.
 */
import { type FillProofView, type FillLeaf, buildFillTree } from "@clearmatch/protocol";
import { createWalletClient, custom, type LocalAccount } from "viem";
import { mnemonicToAccount } from "viem/accounts";
import { ClearmatchClient, type SignedOrderWithHash } from "../../sdk/src/clearmatch-client.js";
import type { ClearmatchClientOptions } from "../../sdk/src/client-options.js";
import { vectors } from "./support/shared-vectors.js";

export const { domain } = vectors;

/** Hardhat dev-mnemonic account `index`. */
export const devKey = (index: number) =>
  mnemonicToAccount(vectors.mnemonic, { addressIndex: index });

/** A client for `account` (signing locally) against `baseUrl`. */
export function sdkClient(
  account: LocalAccount | undefined,
  options: Partial<ClearmatchClientOptions> = {},
): ClearmatchClient {
  return new ClearmatchClient({
    baseUrl: "http://127.0.0.1:1",
    chainId: domain.chainId,
    settlement: domain.verifyingContract,
    ...(account
      ? {
          wallet: createWalletClient({
            account,
            transport: custom({ request: async () => Promise.reject(new Error("no RPC")) }),
          }),
        }
      : {}),
    ...options,
  });
}

export interface ProofFixture {
  maker: SignedOrderWithHash;
  taker: SignedOrderWithHash;
  /** A second order of the taker's trader (for mismatch tests). */
  other: SignedOrderWithHash;
  fills: FillLeaf[];
  /** Proof answers of every fill, in batch order. */
  proofs: FillProofView[];
}

/** Three fills between one maker and one taker order in batch `batchId`, and their proofs. */
export async function proofFixture(
  batchId = 7n,
  settlement: { chainId: number; verifyingContract: `0x${string}` } = domain,
): Promise<ProofFixture> {
  const options = { chainId: settlement.chainId, settlement: settlement.verifyingContract };
  const makerClient = sdkClient(devKey(11), options);
  const takerClient = sdkClient(devKey(12), options);
  const sign = async (client: ClearmatchClient, side: "buy" | "sell", nonce: bigint) =>
    client.signOrder(
      await client.buildOrder({
        marketId: 1,
        side,
        price: 2_500_000_000n,
        amount: 3n * 10n ** 18n,
        nonce,
        expiry: 1_900_000_000n,
      }),
    );
  const maker = await sign(makerClient, "sell", 1n);
  const taker = await sign(takerClient, "buy", 1n);
  const other = await sign(takerClient, "buy", 2n);

  const fills: FillLeaf[] = [0, 1, 2].map((index) => ({
    batchId,
    index,
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
    makerFilledAfter: BigInt(index + 1) * 10n ** 18n,
    takerFilledAfter: BigInt(index + 1) * 10n ** 18n,
    takerFok: false,
    fokRunEnd: false,
  }));
  const tree = buildFillTree(fills);
  const proofs = fills.map((leaf, i): FillProofView => ({
    fillId: `${batchId}:${i}`,
    leaf,
    leafHash: tree.leafHashes[i]!,
    proof: tree.proofs[i]!,
    batch: { batchId, status: "committed", fillCount: fills.length, fillsRoot: tree.root },
    makerOrder: maker,
    takerOrder: taker,
  }));
  return { maker, taker, other, fills, proofs };
}
