import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { network } from "hardhat";
import { hashTypedData, type Address } from "viem";
// The one TypeScript definition of the EIP-712 types (DESIGN.md: shared by both halves).
import { orderTypes } from "@clearmatch/protocol";

describe("OrderLib", async () => {
  const { viem } = await network.create();
  const harness = await viem.deployContract("OrderLibHarness");
  const publicClient = await viem.getPublicClient();
  const chainId = await publicClient.getChainId();
  const verifyingContract: Address = "0x00000000000000000000000000000000c1ea4a7c";

  it("hashes an order exactly as viem's EIP-712 hashTypedData does", async () => {
    const order = {
      trader: "0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
      marketId: 7,
      side: 1,
      price: 2_512_340_000n,
      amount: 10n ** 18n,
      nonce: 42n,
      expiry: 1_900_000_000n,
      maxFeeBps: 30,
      flags: 2,
    } as const;
    const expected = hashTypedData({
      domain: { name: "Clearmatch", version: "1", chainId, verifyingContract },
      types: orderTypes,
      primaryType: "Order",
      message: order,
    });
    assert.equal(await harness.read.hashOrder([order, verifyingContract]), expected);
  });
});
