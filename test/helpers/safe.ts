/**
 * Test helpers around scripts/lib/safe.ts: the Hardhat accounts' keys (owners sign locally, as
 * their hardware would) and one-call "propose, sign, execute" through a Safe.
 */
import { mnemonicToAccount } from "viem/accounts";
import type { Account, Address, Chain, Hex, PublicClient, Transport, WalletClient } from "viem";
import {
  executeSafeTransaction,
  proposeSafeTransaction,
  type SafeSigner,
} from "../../scripts/lib/safe.js";

/** Hardhat's default accounts come from this mnemonic (m/44'/60'/0'/0/i). */
export const HARDHAT_MNEMONIC = "test test test test test test test test test test test junk";

/** Hardhat default account `index` as a local viem account that signs with its private key. */
export function hardhatAccount(index: number) {
  return mnemonicToAccount(HARDHAT_MNEMONIC, { addressIndex: index });
}

/** Proposes `call` on `safe`, has `signers` sign it and `submitter` execute it. */
export async function execViaSafe(
  client: PublicClient,
  submitter: WalletClient<Transport, Chain | undefined, Account>,
  safe: Address,
  call: { to: Address; data: Hex; value?: bigint },
  signers: readonly SafeSigner[],
) {
  const { tx, signatures } = await proposeSafeTransaction(client, safe, call, signers);
  return executeSafeTransaction(client, submitter, safe, tx, signatures);
}
