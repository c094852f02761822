import { recoverTypedDataAddress, toHex, type Hex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { afterAll, describe, expect, it } from "vitest";
import { VerifyPool } from "../src/crypto/verify-pool.js";
import { OrderHasher } from "../src/eip712/order-hasher.js";
import { clearmatchDomain, orderTypes, type Order } from "../src/eip712/types.js";

const domain = clearmatchDomain(31337, "0x00000000000000000000000000000000C1eA4a7C");
const hasher = new OrderHasher(domain);
const pool = VerifyPool.create(2)!;

afterAll(() => pool.close());

describe("VerifyPool", () => {
  it("recovers the same signers as viem's recoverTypedDataAddress", async () => {
    const jobs: { digest: Uint8Array; signature: Hex }[] = [];
    const expected: string[] = [];
    for (let i = 0; i < 25; i++) {
      const account = privateKeyToAccount(toHex(0xbeef_0000n + BigInt(i), { size: 32 }));
      const order: Order = {
        trader: account.address,
        marketId: 1 + (i % 3),
        side: i % 2,
        price: 2_500_000_000n + BigInt(i),
        amount: 10n ** 15n * BigInt(1 + i),
        nonce: BigInt(i),
        expiry: 1_900_000_000n,
        maxFeeBps: 30,
        flags: 0,
      };
      const signature = await account.signTypedData({
        domain,
        types: orderTypes,
        primaryType: "Order",
        message: order,
      });
      jobs.push({ digest: hasher.orderDigest(order), signature });
      const signer = await recoverTypedDataAddress({
        domain,
        types: orderTypes,
        primaryType: "Order",
        message: order,
        signature,
      });
      expected.push(signer.toLowerCase());
    }
    expect(await pool.recover(jobs)).toEqual(expected);
  });

  it("answers no signer for a malformed signature", async () => {
    const digest = new Uint8Array(32).fill(1);
    const answers = await pool.recover([
      { digest, signature: "0x1234" },
      { digest, signature: `0x${"00".repeat(64)}1b` },
      { digest, signature: `0x${"11".repeat(64)}05` },
    ]);
    expect(answers).toEqual([undefined, undefined, undefined]);
  });
});
