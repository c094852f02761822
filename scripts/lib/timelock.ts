/**
 * OpenZeppelin TimelockController operations with viem: the operation id, and the calldata of
 * `schedule` / `execute` / `cancel` that the governance Safe sends to the timelock.
 */
import {
  encodeAbiParameters,
  encodeFunctionData,
  keccak256,
  toHex,
  zeroHash,
  type Address,
  type Hex,
} from "viem";
import { timelockAbi } from "./governance/contract-abis.js";

/** One timelock operation (a single call). */
export interface TimelockOperation {
  target: Address;
  value: bigint;
  data: Hex;
  /** Operation that must be done first; zero for none. */
  predecessor: Hex;
  /** Distinguishes otherwise identical operations. */
  salt: Hex;
}

/** A salt from a human label, e.g. `operationSalt("upgrade settlement to v2")`. */
export function operationSalt(label: string): Hex {
  return keccak256(toHex(label));
}

export function timelockOperation(
  call: { target: Address; data: Hex; value?: bigint; predecessor?: Hex },
  salt: Hex,
): TimelockOperation {
  return {
    target: call.target,
    value: call.value ?? 0n,
    data: call.data,
    predecessor: call.predecessor ?? zeroHash,
    salt,
  };
}

/** `TimelockController.hashOperation`: keccak256(abi.encode(target, value, data, predecessor, salt)). */
export function operationId(op: TimelockOperation): Hex {
  return keccak256(
    encodeAbiParameters(
      [
        { type: "address" },
        { type: "uint256" },
        { type: "bytes" },
        { type: "bytes32" },
        { type: "bytes32" },
      ],
      [op.target, op.value, op.data, op.predecessor, op.salt],
    ),
  );
}

export function encodeSchedule(op: TimelockOperation, delay: bigint): Hex {
  return encodeFunctionData({
    abi: timelockAbi,
    functionName: "schedule",
    args: [op.target, op.value, op.data, op.predecessor, op.salt, delay],
  });
}

export function encodeExecute(op: TimelockOperation): Hex {
  return encodeFunctionData({
    abi: timelockAbi,
    functionName: "execute",
    args: [op.target, op.value, op.data, op.predecessor, op.salt],
  });
}

export function encodeCancel(op: TimelockOperation): Hex {
  return encodeFunctionData({ abi: timelockAbi, functionName: "cancel", args: [operationId(op)] });
}
