import {
  BaseError,
  ContractFunctionRevertedError,
  decodeErrorResult,
  ExecutionRevertedError,
  type Hex,
  HttpRequestError,
  InternalRpcError,
  LimitExceededRpcError,
  RpcRequestError,
  TimeoutError,
  TransactionRejectedRpcError,
  WebSocketRequestError,
} from "viem";
import { settlementAbi } from "@clearmatch/protocol";

/** Stable codes of chain-side faults. */
export type ChainErrorCode =
  | "RPC_UNAVAILABLE" // transport failed or timed out: retry
  | "TX_NOT_MINED" // replacements exhausted without inclusion: retry later
  | "TX_REVERTED" // mined with status 0: permanent for this call
  | "CALL_REVERTED" // the contract refuses the call (estimation reverted): permanent
  | "CHAIN_STATE_CONFLICT"; // chain disagrees with our records (e.g. another root committed): permanent

/**
 * A fault talking to the chain. `transient` faults are worth retrying with backoff (the pipeline
 * throws them as plain errors so BullMQ retries); permanent ones become BullMQ's
 * UnrecoverableError.
 */
export class ChainError extends Error {
  override readonly name = "ChainError";
  constructor(
    readonly code: ChainErrorCode,
    message: string,
    readonly transient: boolean,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * Name of the settlement custom error a revert carried: from viem's decoding when the call had an
 * ABI, else by decoding the raw revert data (eth_estimateGas / eth_sendRawTransaction answers)
 * against the settlement ABI. Looks through ChainError causes.
 */
export function revertErrorName(error: unknown): string | undefined {
  if (error instanceof ChainError) return revertErrorName(error.cause);
  if (!(error instanceof BaseError)) return undefined;
  const revert = error.walk((e) => e instanceof ContractFunctionRevertedError);
  if (revert instanceof ContractFunctionRevertedError && revert.data?.errorName) {
    return revert.data.errorName;
  }
  const data = revertData(error);
  if (data === undefined) return undefined;
  try {
    return decodeErrorResult({ abi: settlementAbi, data }).errorName;
  } catch {
    return undefined;
  }
}

/** The raw revert data somewhere in a viem error chain (a hex string of at least a selector). */
function revertData(error: BaseError): Hex | undefined {
  let found: Hex | undefined;
  error.walk((e) => {
    const data = (e as { data?: unknown }).data;
    const hex = typeof data === "string" ? data : (data as { data?: unknown } | undefined)?.data;
    if (typeof hex === "string" && /^0x[0-9a-fA-F]{8}/.test(hex)) found = hex as Hex;
    return false;
  });
  return found;
}

/** True when the node says the call itself reverted (as opposed to a transport fault). */
function isExecutionRevert(error: unknown): boolean {
  if (!(error instanceof BaseError)) return false;
  return Boolean(
    error.walk(
      (e) =>
        e instanceof ExecutionRevertedError ||
        e instanceof ContractFunctionRevertedError ||
        (e instanceof RpcRequestError && e.code === 3),
    ),
  );
}

/** True for faults of the transport or the node (retry), false for the contract's own refusal. */
export function isTransientRpcError(error: unknown): boolean {
  if (error instanceof ChainError) return error.transient;
  if (!(error instanceof BaseError)) {
    // fetch failures surface as TypeError / system errors before viem wraps them.
    const code = (error as { code?: unknown })?.code;
    return error instanceof TypeError || code === "ECONNREFUSED" || code === "ECONNRESET";
  }
  if (error.walk((e) => e instanceof ContractFunctionRevertedError)) return false;
  return Boolean(
    error.walk(
      (e) =>
        e instanceof HttpRequestError ||
        e instanceof WebSocketRequestError ||
        e instanceof TimeoutError ||
        e instanceof InternalRpcError ||
        e instanceof LimitExceededRpcError ||
        e instanceof TransactionRejectedRpcError ||
        (e instanceof RpcRequestError && e.code === -32603),
    ),
  );
}

/** Wraps any error from a chain call into a ChainError with the right transience. */
export function toChainError(error: unknown, what: string): ChainError {
  if (error instanceof ChainError) return error;
  const name = revertErrorName(error);
  if (name !== undefined) {
    return new ChainError("CALL_REVERTED", `${what}: reverted with ${name}`, false, {
      cause: error,
    });
  }
  if (isExecutionRevert(error)) {
    return new ChainError("CALL_REVERTED", `${what}: reverted (undecoded)`, false, {
      cause: error,
    });
  }
  if (isTransientRpcError(error)) {
    return new ChainError("RPC_UNAVAILABLE", `${what}: RPC unavailable`, true, { cause: error });
  }
  const message = error instanceof Error ? error.message.split("\n")[0] : String(error);
  // Unknown faults are treated as transient: a retry is safe because every write checks the
  // chain first, and a permanent fault will surface again with a decodable revert.
  return new ChainError("RPC_UNAVAILABLE", `${what}: ${message}`, true, { cause: error });
}
