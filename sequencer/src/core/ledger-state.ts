/**
 * The balance ledger's state: balance entries per account and token, reservations per open
 * order, and the effect of each fill matched but not final. `BalanceLedger` changes it;
 * `ledger-snapshot.ts` writes it out and reads it back.
 */
import type { Address, Hex } from "viem";
import { ClearmatchError } from "../errors/clearmatch-error.js";
import { lowercase } from "../crypto/lowercase.js";

/** What the ledger needs to know about an open order to reserve its funds. */
export interface ReservationTerms {
  readonly orderHash: Hex;
  readonly account: Address;
  /** 0 buy (reserves quote), 1 sell (reserves base). */
  readonly side: number;
  /** Limit price, quote atoms per 10^baseDecimals base atoms. */
  readonly price: bigint;
  /** Unfilled base amount to reserve for. */
  readonly remaining: bigint;
  readonly maxFeeBps: number;
  readonly baseToken: Address;
  readonly quoteToken: Address;
  readonly baseDecimals: number;
}

export interface Entry {
  /** As first seen (keys are lower case). */
  readonly account: Address;
  token: Address;
  finalized: bigint;
  pending: bigint;
  reserved: bigint;
  withdrawalRequested: bigint;
}

export interface Reservation {
  readonly terms: ReservationTerms;
  readonly token: Address;
  remaining: bigint;
  reserved: bigint;
}

/**
 * A matched fill's effect until it finalizes or is rolled back, kept flat (an object per delta
 * and per leg, five and two for every fill held in memory, was a large share of the service's
 * heap): `moves` alternates the balance entry a delta applies to and the delta; `legs`
 * alternates an order hash and the base amount the fill took from it.
 */
export interface PendingFill {
  readonly moves: readonly (Entry | bigint)[];
  readonly legs: readonly (Hex | bigint)[];
}

export interface LedgerState {
  /** Entries by lower-case account, then lower-case token. */
  readonly accounts: Map<string, Map<string, Entry>>;
  /** Reservations by lower-case order hash. */
  readonly reservations: Map<string, Reservation>;
  /** Pending fills by fill id, in the order they were applied. */
  readonly pendingFills: Map<string, PendingFill>;
}

export function emptyLedgerState(): LedgerState {
  return { accounts: new Map(), reservations: new Map(), pendingFills: new Map() };
}

/** The entry of `account` in `token`, created (zero) when new. */
export function entryOf(state: LedgerState, account: Address, token: Address): Entry {
  const accountKey = lowercase(account);
  let tokens = state.accounts.get(accountKey);
  if (!tokens) state.accounts.set(accountKey, (tokens = new Map()));
  const tokenKey = lowercase(token);
  let entry = tokens.get(tokenKey);
  if (!entry) {
    entry = { account, token, finalized: 0n, pending: 0n, reserved: 0n, withdrawalRequested: 0n };
    tokens.set(tokenKey, entry);
  }
  return entry;
}

/** Order hashes are keyed in lowercase, whatever case the caller uses. */
export function orderKey(orderHash: Hex): string {
  return lowercase(orderHash);
}

export function invariant(condition: boolean, message: string): asserts condition {
  if (!condition) throw new ClearmatchError("INTERNAL", `balance ledger: ${message}`);
}
