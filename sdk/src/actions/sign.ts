/**
 * Signing with the trader's wallet: an `Order` or an off-chain `Cancel(orderHash)` as EIP-712
 * typed data (`eth_signTypedData_v4` for browser wallets), under the exchange's domain.
 */
import type { Account, Address, Hex } from "viem";
import {
  cancelTypes,
  orderTypes,
  type ClearmatchDomain,
  type Order,
  type SignedCancel,
  type SignedOrder,
} from "@clearmatch/protocol";
import type { AnyWalletClient } from "../onchain-actions.js";

/** A signed order with its id (the EIP-712 digest). */
export interface SignedOrderWithHash extends SignedOrder {
  readonly orderHash: Hex;
}

/** Who signs: the wallet, its account (or a browser wallet's address), and the domain. */
export interface Signer {
  readonly wallet: AnyWalletClient;
  readonly account: Account | Address;
  readonly domain: ClearmatchDomain;
}

/** Signs `order`, whose id (`orderHash`) the caller computed under the same domain. */
export async function signOrder(
  signer: Signer,
  order: Order,
  orderHash: Hex,
): Promise<SignedOrderWithHash> {
  const { domain } = signer;
  const signature = await signer.wallet.signTypedData({
    account: signer.account,
    domain,
    types: orderTypes,
    primaryType: "Order",
    message: order,
  });
  return {
    order,
    signature,
    orderHash,
    chainId: domain.chainId,
    verifyingContract: domain.verifyingContract,
  };
}

/** Signs an off-chain `Cancel(orderHash)`. */
export async function signCancel(signer: Signer, orderHash: Hex): Promise<SignedCancel> {
  const { domain } = signer;
  const signature = await signer.wallet.signTypedData({
    account: signer.account,
    domain,
    types: cancelTypes,
    primaryType: "Cancel",
    message: { orderHash },
  });
  return {
    orderHash,
    signature,
    chainId: domain.chainId,
    verifyingContract: domain.verifyingContract,
  };
}
