/**
 * Safe (v1.4.1) transactions with viem: build, hash (EIP-712 `SafeTx`), sign with owner keys,
 * pack the signatures the way `Safe.checkSignatures` reads them, execute.
 *
 * No Hardhat dependency: operator scripts, the service and tests share it.
 */
import {
  encodePacked,
  getAddress,
  hashTypedData,
  zeroAddress,
  type Account,
  type Address,
  type Chain,
  type Hex,
  type PublicClient,
  type Transport,
  type TypedDataDefinition,
  type WalletClient,
} from "viem";

/** The part of the Safe v1.4.1 ABI these helpers use. */
export const safeAbi = [
  {
    type: "function",
    name: "execTransaction",
    stateMutability: "payable",
    inputs: [
      { name: "to", type: "address" },
      { name: "value", type: "uint256" },
      { name: "data", type: "bytes" },
      { name: "operation", type: "uint8" },
      { name: "safeTxGas", type: "uint256" },
      { name: "baseGas", type: "uint256" },
      { name: "gasPrice", type: "uint256" },
      { name: "gasToken", type: "address" },
      { name: "refundReceiver", type: "address" },
      { name: "signatures", type: "bytes" },
    ],
    outputs: [{ name: "success", type: "bool" }],
  },
  {
    type: "function",
    name: "nonce",
    stateMutability: "view",
    inputs: [],
    outputs: [{ type: "uint256" }],
  },
  {
    type: "function",
    name: "getOwners",
    stateMutability: "view",
    inputs: [],
    outputs: [{ type: "address[]" }],
  },
  {
    type: "function",
    name: "getThreshold",
    stateMutability: "view",
    inputs: [],
    outputs: [{ type: "uint256" }],
  },
  {
    type: "function",
    name: "isOwner",
    stateMutability: "view",
    inputs: [{ name: "owner", type: "address" }],
    outputs: [{ type: "bool" }],
  },
  {
    type: "function",
    name: "VERSION",
    stateMutability: "view",
    inputs: [],
    outputs: [{ type: "string" }],
  },
  {
    type: "function",
    name: "getTransactionHash",
    stateMutability: "view",
    inputs: [
      { name: "to", type: "address" },
      { name: "value", type: "uint256" },
      { name: "data", type: "bytes" },
      { name: "operation", type: "uint8" },
      { name: "safeTxGas", type: "uint256" },
      { name: "baseGas", type: "uint256" },
      { name: "gasPrice", type: "uint256" },
      { name: "gasToken", type: "address" },
      { name: "refundReceiver", type: "address" },
      { name: "_nonce", type: "uint256" },
    ],
    outputs: [{ type: "bytes32" }],
  },
  {
    type: "event",
    name: "ExecutionSuccess",
    inputs: [
      { name: "txHash", type: "bytes32", indexed: false },
      { name: "payment", type: "uint256", indexed: false },
    ],
  },
  {
    type: "event",
    name: "ExecutionFailure",
    inputs: [
      { name: "txHash", type: "bytes32", indexed: false },
      { name: "payment", type: "uint256", indexed: false },
    ],
  },
] as const;

/** `Enum.Operation` of Safe. */
export const SafeOperation = { Call: 0, DelegateCall: 1 } as const;

/** A Safe transaction: what owners sign (EIP-712 `SafeTx`) and `execTransaction` takes. */
export interface SafeTransaction {
  /** Target of the call. */
  to: Address;
  /** Native currency sent with the call, wei. */
  value: bigint;
  /** Calldata. */
  data: Hex;
  /** 0 call, 1 delegatecall. */
  operation: 0 | 1;
  /** Gas for the inner call; 0 = all available, and a failing inner call reverts the whole tx. */
  safeTxGas: bigint;
  /** Gas refund overhead; 0 = no refund. */
  baseGas: bigint;
  /** Refund gas price; 0 = no refund. */
  gasPrice: bigint;
  /** Refund token (zero = native). */
  gasToken: Address;
  /** Refund receiver (zero = tx.origin). */
  refundReceiver: Address;
  /** The Safe's nonce this transaction consumes. */
  nonce: bigint;
}

/** EIP-712 types of Safe v1.3+/v1.4 (`SAFE_TX_TYPEHASH`). */
export const safeTxTypes = {
  SafeTx: [
    { name: "to", type: "address" },
    { name: "value", type: "uint256" },
    { name: "data", type: "bytes" },
    { name: "operation", type: "uint8" },
    { name: "safeTxGas", type: "uint256" },
    { name: "baseGas", type: "uint256" },
    { name: "gasPrice", type: "uint256" },
    { name: "gasToken", type: "address" },
    { name: "refundReceiver", type: "address" },
    { name: "nonce", type: "uint256" },
  ],
} as const;

/** A plain call without refunds (`safeTxGas` 0, so a failing call reverts `execTransaction`). */
export function buildSafeTransaction(
  call: { to: Address; data?: Hex; value?: bigint; operation?: 0 | 1 },
  nonce: bigint,
): SafeTransaction {
  return {
    to: getAddress(call.to),
    value: call.value ?? 0n,
    data: call.data ?? "0x",
    operation: call.operation ?? SafeOperation.Call,
    safeTxGas: 0n,
    baseGas: 0n,
    gasPrice: 0n,
    gasToken: zeroAddress,
    refundReceiver: zeroAddress,
    nonce,
  };
}

/** The EIP-712 typed data an owner signs: domain `{ chainId, verifyingContract: safe }`. */
export function safeTxTypedData(safe: Address, chainId: number, tx: SafeTransaction) {
  return {
    domain: { chainId, verifyingContract: safe },
    types: safeTxTypes,
    primaryType: "SafeTx",
    message: tx,
  } as const satisfies TypedDataDefinition<typeof safeTxTypes, "SafeTx">;
}

/** The `safeTxHash` (equals `Safe.getTransactionHash`). */
export function safeTxHash(safe: Address, chainId: number, tx: SafeTransaction): Hex {
  return hashTypedData(safeTxTypedData(safe, chainId, tx));
}

/** Anything that signs EIP-712 data for an address: a viem local account, or `walletSigner(...)`. */
export interface SafeSigner {
  address: Address;
  signTypedData(typedData: TypedDataDefinition<typeof safeTxTypes, "SafeTx">): Promise<Hex>;
}

/** A wallet client (JSON-RPC or browser wallet through EIP-1193) as a `SafeSigner`. */
export function walletSigner(
  client: WalletClient<Transport, Chain | undefined, Account>,
): SafeSigner {
  return {
    address: client.account.address,
    signTypedData: (typedData) => client.signTypedData({ account: client.account, ...typedData }),
  };
}

/** One owner's signature of one Safe transaction. */
export interface SafeSignature {
  signer: Address;
  /** 65 bytes r ‖ s ‖ v, v ∈ {27, 28}: an EIP-712 ECDSA signature as Safe reads it. */
  data: Hex;
}

export async function signSafeTransaction(
  signer: SafeSigner,
  safe: Address,
  chainId: number,
  tx: SafeTransaction,
): Promise<SafeSignature> {
  const data = await signer.signTypedData(safeTxTypedData(safe, chainId, tx));
  if (data.length !== 2 + 65 * 2)
    throw new Error(`unexpected signature length from ${signer.address}`);
  return { signer: getAddress(signer.address), data };
}

/**
 * The `signatures` argument of `execTransaction`: one 65-byte signature per owner, ordered by
 * owner address ascending (Safe rejects anything else with GS026), no owner twice.
 */
export function encodeSafeSignatures(signatures: readonly SafeSignature[]): Hex {
  const sorted = [...signatures].sort((a, b) => {
    const x = BigInt(a.signer);
    const y = BigInt(b.signer);
    return x < y ? -1 : x > y ? 1 : 0;
  });
  for (let i = 1; i < sorted.length; i++) {
    if (BigInt(sorted[i]!.signer) === BigInt(sorted[i - 1]!.signer)) {
      throw new Error(`two signatures from ${sorted[i]!.signer}`);
    }
  }
  return sorted.length === 0
    ? "0x"
    : encodePacked(
        sorted.map(() => "bytes" as const),
        sorted.map((s) => s.data),
      );
}

/** What a Safe is: owners, threshold, next nonce. */
export async function readSafeState(client: PublicClient, safe: Address) {
  const [owners, threshold, nonce] = await Promise.all([
    client.readContract({ address: safe, abi: safeAbi, functionName: "getOwners" }),
    client.readContract({ address: safe, abi: safeAbi, functionName: "getThreshold" }),
    client.readContract({ address: safe, abi: safeAbi, functionName: "nonce" }),
  ]);
  return { owners, threshold, nonce };
}

/**
 * Builds the transaction for the Safe's current nonce and has `signers` sign it. The caller
 * collects more signatures (from other machines, other wallets) with `signSafeTransaction`.
 */
export async function proposeSafeTransaction(
  client: PublicClient,
  safe: Address,
  call: { to: Address; data?: Hex; value?: bigint; operation?: 0 | 1 },
  signers: readonly SafeSigner[] = [],
) {
  const [chainId, nonce] = await Promise.all([
    client.getChainId(),
    client.readContract({ address: safe, abi: safeAbi, functionName: "nonce" }),
  ]);
  const tx = buildSafeTransaction(call, nonce);
  const signatures = await Promise.all(
    signers.map((s) => signSafeTransaction(s, safe, chainId, tx)),
  );
  return { chainId, tx, hash: safeTxHash(safe, chainId, tx), signatures };
}

/**
 * Submits `execTransaction` from `submitter` (any account: it pays gas, it need not be an owner)
 * and waits for the receipt. Simulates first, so a refusal (threshold not met: GS020, bad
 * signature: GS026, failing inner call: GS013, or the target's own revert) throws before anything
 * is sent; the thrown viem error carries the revert reason.
 */
export async function executeSafeTransaction(
  client: PublicClient,
  submitter: WalletClient<Transport, Chain | undefined, Account>,
  safe: Address,
  tx: SafeTransaction,
  signatures: readonly SafeSignature[],
) {
  const { request } = await client.simulateContract({
    account: submitter.account,
    address: safe,
    abi: safeAbi,
    functionName: "execTransaction",
    args: [
      tx.to,
      tx.value,
      tx.data,
      tx.operation,
      tx.safeTxGas,
      tx.baseGas,
      tx.gasPrice,
      tx.gasToken,
      tx.refundReceiver,
      encodeSafeSignatures(signatures),
    ],
  });
  const hash = await submitter.writeContract(request);
  const receipt = await client.waitForTransactionReceipt({ hash });
  if (receipt.status !== "success") throw new Error(`execTransaction ${hash} reverted`);
  return receipt;
}
