/**
 * The client's wallet side: the viem wallet and public clients it was given, the signing
 * account (a local account, or an EIP-1193 wallet's first address), and the context every
 * on-chain action takes. Each refuses with its own code when the client lacks what it needs.
 */
import { settlementAbi } from "@clearmatch/protocol";
import type { Account, Address, PublicClient } from "viem";
import { ClearmatchClientError } from "./client-errors.js";
import type { ResolvedClientOptions } from "./client-options.js";
import {
  send,
  type AnyWalletClient,
  type OnChainContext,
  type TxResult,
} from "./onchain-actions.js";

export class WalletContext {
  constructor(private readonly options: ResolvedClientOptions) {}

  wallet(): AnyWalletClient {
    const wallet = this.options.wallet;
    if (!wallet)
      throw new ClearmatchClientError("WALLET_REQUIRED", "this client was built without a wallet");
    return wallet;
  }

  publicClient(): PublicClient {
    const client = this.options.publicClient;
    if (!client)
      throw new ClearmatchClientError(
        "PUBLIC_CLIENT_REQUIRED",
        "this client was built without a publicClient",
      );
    return client;
  }

  /** The wallet's account: a local account, or a JSON-RPC (EIP-1193) wallet's first address. */
  async account(): Promise<Account | Address> {
    const wallet = this.wallet();
    if (wallet.account) return wallet.account;
    const [address] = await wallet.getAddresses();
    if (!address)
      throw new ClearmatchClientError(
        "NO_ACCOUNT",
        "the wallet exposes no account: connect it first (wallet.requestAddresses())",
      );
    return address;
  }

  /** The account to sign `trader`'s order with; refuses when the wallet's account is another. */
  async signerFor(trader: Address): Promise<Account | Address> {
    const wallet = this.wallet();
    const account = wallet.account ?? trader;
    const address = typeof account === "string" ? account : account.address;
    if (address.toLowerCase() !== trader.toLowerCase())
      throw new ClearmatchClientError(
        "INVALID_ORDER_PARAMS",
        `order.trader ${trader} is not the wallet's account ${address}`,
        { details: { field: "trader" } },
      );
    return account;
  }

  /** What every on-chain action needs (WALLET_REQUIRED, PUBLIC_CLIENT_REQUIRED, NO_ACCOUNT). */
  async onChain(): Promise<OnChainContext> {
    return {
      wallet: this.wallet(),
      publicClient: this.publicClient(),
      account: await this.account(),
      settlement: this.options.settlement,
      chainId: this.options.chainId,
    };
  }

  /** Sends one settlement call from the wallet's account and waits for its receipt. */
  async call(
    functionName:
      "requestWithdrawal" | "cancelWithdrawal" | "withdraw" | "cancelOrder" | "invalidateNonces",
    args: readonly unknown[],
  ): Promise<TxResult> {
    return send(await this.onChain(), {
      address: this.options.settlement,
      abi: settlementAbi,
      functionName,
      args,
    });
  }
}
