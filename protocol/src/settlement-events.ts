/**
 * The settlement contract's events as one discriminated union, typed from the ABI by viem: each
 * `name` carries exactly its `args` (bigint for integers of 64 bits and more, number below,
 * checksummed addresses). The sequencer's chain watcher delivers them, its journal keeps them and
 * its core reduces them without a cast.
 */
import type { DecodeEventLogReturnType, Hex } from "viem";
import type { settlementAbi } from "./settlement-abi.js";

type Decoded = DecodeEventLogReturnType<
  typeof settlementAbi,
  undefined,
  [Hex, ...Hex[]],
  Hex,
  true
>;

/** One decoded `ISettlement` event. */
export type SettlementEvent = {
  [E in Decoded as E["eventName"]]: { name: E["eventName"]; args: E["args"] };
}[Decoded["eventName"]];

/** The name of an `ISettlement` event. */
export type SettlementEventName = SettlementEvent["name"];
