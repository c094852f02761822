/**
 * The trader's on-chain calls to the settlement contract (`ISettlement.sol`): vault deposits
 * and the withdrawal escape hatch, on-chain cancels, nonce invalidation and fill challenges.
 * Each sends one transaction from the wallet and waits for its receipt.
 */
import {
  BaseError,
  ContractFunctionRevertedError,
  erc20Abi,
  parseEventLogs,
  type Account,
  type Address,
  type Chain,
  type Hex,
  type PublicClient,
  type TransactionReceipt,
  type Transport,
  type WalletClient,
} from "viem";
import {
  fillStruct,
  hashFillLeaf,
  processProof,
  settlementAbi,
  type FillLeaf,
  type FillProofView,
} from "@clearmatch/protocol";
import { ClearmatchClientError } from "./client-errors.js";

/** A mined, successful transaction. */
export interface TxResult {
  readonly hash: Hex;
  readonly receipt: TransactionReceipt;
}

/** What `deposit` sent: the approval when the allowance was short, then the deposit. */
export interface DepositResult {
  readonly approval?: TxResult;
  readonly deposit: TxResult;
}

export type AnyWalletClient = WalletClient<Transport, Chain | undefined, Account | undefined>;

/** What every on-chain action needs. */
export interface OnChainContext {
  readonly wallet: AnyWalletClient;
  readonly publicClient: PublicClient;
  /** The signing account (local account, or a browser wallet's address). */
  readonly account: Account | Address;
  readonly settlement: Address;
  readonly chainId: number;
}

type WriteRequest = {
  readonly address: Address;
  readonly abi: typeof settlementAbi | typeof erc20Abi;
  readonly functionName: string;
  readonly args: readonly unknown[];
};

/** Sends one contract call and waits for a successful receipt. */
export async function send(ctx: OnChainContext, request: WriteRequest): Promise<TxResult> {
  const walletChainId = await ctx.wallet.getChainId();
  if (walletChainId !== ctx.chainId)
    throw new ClearmatchClientError(
      "WRONG_CHAIN",
      `wallet is on chain ${walletChainId}, the exchange on ${ctx.chainId}`,
      { details: { walletChainId, chainId: ctx.chainId } },
    );
  let hash: Hex;
  try {
    // The ABI keeps custom errors decodable (SettlementDeflationaryToken, ...) on revert.
    hash = await ctx.wallet.writeContract({
      ...request,
      account: ctx.account,
      chain: ctx.wallet.chain ?? null,
    } as Parameters<AnyWalletClient["writeContract"]>[0]);
  } catch (error) {
    const errorName = revertErrorName(error);
    throw new ClearmatchClientError(
      "TRANSACTION_FAILED",
      `${request.functionName} failed${errorName ? `: ${errorName}` : ""}`,
      { cause: error, details: { functionName: request.functionName, errorName } },
    );
  }
  const receipt = await ctx.publicClient.waitForTransactionReceipt({ hash });
  if (receipt.status !== "success")
    throw new ClearmatchClientError("TRANSACTION_REVERTED", `${request.functionName} reverted`, {
      details: { functionName: request.functionName, hash },
    });
  return { hash, receipt };
}

/** The contract's custom error name in a failed viem call (e.g. `SettlementNoFraud`), if any. */
export function revertErrorName(error: unknown): string | undefined {
  const revert =
    error instanceof BaseError
      ? (error.walk(
          (e) => e instanceof ContractFunctionRevertedError,
        ) as ContractFunctionRevertedError | null)
      : null;
  return revert?.data?.errorName;
}

function addressOf(account: Account | Address): Address {
  return typeof account === "string" ? account : account.address;
}

/** Approves exactly `amount` when the allowance is short (no unlimited approvals), then deposits. */
export async function deposit(
  ctx: OnChainContext,
  token: Address,
  amount: bigint,
): Promise<DepositResult> {
  const allowance = await ctx.publicClient.readContract({
    address: token,
    abi: erc20Abi,
    functionName: "allowance",
    args: [addressOf(ctx.account), ctx.settlement],
  });
  const approval =
    allowance < amount
      ? await send(ctx, {
          address: token,
          abi: erc20Abi,
          functionName: "approve",
          args: [ctx.settlement, amount],
        })
      : undefined;
  const result = await send(ctx, {
    address: ctx.settlement,
    abi: settlementAbi,
    functionName: "deposit",
    args: [token, amount],
  });
  return approval ? { approval, deposit: result } : { deposit: result };
}

/** Sends `ISettlement.challengeFill(fill, proof)` and returns the new challenge's id. */
export async function challengeFill(
  ctx: OnChainContext,
  leaf: FillLeaf,
  proof: readonly Hex[],
): Promise<TxResult & { readonly challengeId: bigint }> {
  const result = await send(ctx, {
    address: ctx.settlement,
    abi: settlementAbi,
    functionName: "challengeFill",
    args: [fillStruct(leaf), proof],
  });
  const opened = parseEventLogs({
    abi: settlementAbi,
    eventName: "ChallengeOpened",
    logs: result.receipt.logs,
  }).find((log) => log.address.toLowerCase() === ctx.settlement.toLowerCase());
  if (!opened)
    throw new ClearmatchClientError("BAD_RESPONSE", "challengeFill emitted no ChallengeOpened", {
      details: { hash: result.hash },
    });
  return { ...result, challengeId: opened.args.challengeId };
}

/**
 * `challengeFill` for a fill naming the context's account ("I never signed this order"), after
 * checking that its leaf and proof lead to the root committed on-chain (`INVALID_FILL_PROOF`).
 */
export async function challengeOwnFill(
  ctx: OnChainContext,
  proof: FillProofView,
): Promise<TxResult & { readonly challengeId: bigint }> {
  const me = (typeof ctx.account === "string" ? ctx.account : ctx.account.address).toLowerCase();
  if (me !== proof.leaf.maker.toLowerCase() && me !== proof.leaf.taker.toLowerCase())
    throw new ClearmatchClientError(
      "INVALID_FILL_PROOF",
      `only the fill's maker or taker can challenge it, not ${me}`,
    );
  const root = processProof(hashFillLeaf(proof.leaf), proof.proof);
  const onChain = await ctx.publicClient.readContract({
    address: ctx.settlement,
    abi: settlementAbi,
    functionName: "batch",
    args: [proof.leaf.batchId],
  });
  if (onChain.fillsRoot.toLowerCase() !== root)
    throw new ClearmatchClientError(
      "INVALID_FILL_PROOF",
      `leaf and proof lead to ${root}, batch ${proof.leaf.batchId} committed ${onChain.fillsRoot}`,
    );
  return challengeFill(ctx, proof.leaf, proof.proof);
}

/** Where vault reads go. */
export interface VaultReader {
  readonly publicClient: PublicClient;
  readonly settlement: Address;
}

/** `account`'s finalized vault balance of `token`. */
export function readVaultBalance(
  v: VaultReader,
  account: Address,
  token: Address,
): Promise<bigint> {
  return v.publicClient.readContract({
    address: v.settlement,
    abi: settlementAbi,
    functionName: "balanceOf",
    args: [account, token],
  });
}

/** `account`'s pending withdrawal request for `token` (amount 0 when none). */
export async function readWithdrawalRequest(
  v: VaultReader,
  account: Address,
  token: Address,
): Promise<{ amount: bigint; executableAt: bigint }> {
  const request = await v.publicClient.readContract({
    address: v.settlement,
    abi: settlementAbi,
    functionName: "withdrawalRequest",
    args: [account, token],
  });
  return { amount: request.amount, executableAt: request.executableAt };
}
