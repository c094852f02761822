/**
 * Random signed orders for the hashing and recovery tests: fields biased toward their edge
 * values, signatures from real keys, and the signer viem recovers as the reference.
 */
import { recoverTypedDataAddress, type Address, type Hex, type PrivateKeyAccount } from "viem";
import { orderTypes, type ClearmatchDomain, type Order } from "@clearmatch/protocol";
import type { SeededRandom } from "./seeded-random.js";

/** A random order of `trader`, each field biased toward its edge values (`SeededRandom.uint`). */
export function randomOrder(rng: SeededRandom, trader: Address): Order {
  return {
    trader,
    marketId: Number(rng.uint(32)),
    side: Number(rng.uint(8)),
    price: rng.uint(128),
    amount: rng.uint(128),
    nonce: rng.uint(64),
    expiry: rng.uint(64),
    maxFeeBps: Number(rng.uint(16)),
    flags: Number(rng.uint(8)),
  };
}

/** `order` signed by `account` under `domain`, and the signer viem's recovery names. */
export async function signAndRecover(
  account: PrivateKeyAccount,
  domain: ClearmatchDomain,
  order: Order,
): Promise<{ signature: Hex; signer: Address }> {
  const signature = await account.signTypedData({
    domain,
    types: orderTypes,
    primaryType: "Order",
    message: order,
  });
  const signer = await recoverTypedDataAddress({
    domain,
    types: orderTypes,
    primaryType: "Order",
    message: order,
    signature,
  });
  return { signature, signer };
}
