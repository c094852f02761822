/**
 * The sequencer's view of every account's funds, per token, in token atoms (bigint only):
 *
 *   available = finalized + pending - reserved - withdrawalRequested
 *
 * - finalized: the on-chain vault balance (deposits, withdrawals, finalized batches).
 * - pending: the sum of the deltas of fills matched but not yet finalized (may be negative).
 * - reserved: what open orders may still spend (a buy reserves quote at its limit price plus
 *   the fee at its maxFeeBps; a sell reserves base; fees of a sell come out of its proceeds).
 * - withdrawalRequested: amounts requested on-chain, reserved as soon as the watcher sees them.
 *
 * `available` may go negative: a withdrawal request is a chain fact the sequencer cannot refuse
 * (the escape hatch), and a rolled-back fill may restore reservations. New orders are refused
 * while it does not cover them. Every mutation keeps the aggregates equal to the sum of their
 * parts (per-order reservations, per-fill deltas); `checkInvariants` proves it in tests.
 */
import { type BalanceView, Side } from "@clearmatch/protocol";
import type { Address, Hex } from "viem";
import { ClearmatchError } from "../errors/clearmatch-error.js";
import { lowercase } from "../crypto/lowercase.js";
import { restoreLedger, snapshotLedger, type LedgerSnapshot } from "./ledger-snapshot.js";
import {
  emptyLedgerState,
  entryOf,
  invariant,
  orderKey,
  type Entry,
  type LedgerState,
  type PendingFill,
  type Reservation,
  type ReservationTerms,
} from "./ledger-state.js";

/** One account's funds in one token: the wire's `BalanceView`, one definition. */
export type Balance = BalanceView;

/** A matched fill as the ledger applies it. */
export interface LedgerFill {
  /** Unique id of the fill; the key for finalization and rollback. */
  readonly fillId: string;
  readonly makerOrderHash: Hex;
  readonly takerOrderHash: Hex;
  readonly maker: Address;
  readonly taker: Address;
  /** 0: the taker buys; 1: the taker sells. */
  readonly takerSide: number;
  readonly baseToken: Address;
  readonly quoteToken: Address;
  readonly baseAmount: bigint;
  readonly quoteAmount: bigint;
  readonly makerFee: bigint;
  readonly takerFee: bigint;
  /** Account credited with both fees. */
  readonly feeRecipient: Address;
}

/** One leg of a rolled-back fill whose order had no reservation left to restore. */
export interface UnrestoredLeg {
  readonly orderHash: Hex;
  readonly baseAmount: bigint;
}

const BPS = 10_000n;

function ceilDiv(a: bigint, b: bigint): bigint {
  return (a + b - 1n) / b;
}

/**
 * Funds an order with `remaining` unfilled base atoms must hold: a buy, its quote value at the
 * limit price plus the fee at maxFeeBps (both rounded up); a sell, the base amount.
 */
export function requiredReservation(
  terms: ReservationTerms,
  remaining: bigint = terms.remaining,
): { token: Address; amount: bigint } {
  if (terms.side === Side.Sell) return { token: terms.baseToken, amount: remaining };
  const quote = ceilDiv(remaining * terms.price, 10n ** BigInt(terms.baseDecimals));
  const fee = ceilDiv(quote * BigInt(terms.maxFeeBps), BPS);
  return { token: terms.quoteToken, amount: quote + fee };
}

function positive(amount: bigint, what: string): void {
  invariant(amount > 0n, `${what} must be positive, got ${amount}`);
}

export class BalanceLedger {
  readonly #accounts: Map<string, Map<string, Entry>>;
  readonly #reservations: Map<string, Reservation>;
  readonly #pendingFills: Map<string, PendingFill>;
  readonly #state: LedgerState;

  /** An empty ledger, or one over a restored state (`BalanceLedger.restore`). */
  constructor(state: LedgerState = emptyLedgerState()) {
    this.#state = state;
    this.#accounts = state.accounts;
    this.#reservations = state.reservations;
    this.#pendingFills = state.pendingFills;
  }

  /** The whole ledger as JSON-safe data; `BalanceLedger.restore` rebuilds an equal ledger. */
  snapshot(): LedgerSnapshot {
    return snapshotLedger(this.#state);
  }

  static restore(snapshot: LedgerSnapshot): BalanceLedger {
    return new BalanceLedger(restoreLedger(snapshot));
  }

  /** One account's balance in one token (zeros when never seen). */
  balance(account: Address, token: Address): Balance {
    const entry = this.#accounts.get(lowercase(account))?.get(lowercase(token));
    return entry
      ? view(entry)
      : view({ account, token, finalized: 0n, pending: 0n, reserved: 0n, withdrawalRequested: 0n });
  }

  /** Every token balance an account has had. */
  balances(account: Address): Balance[] {
    return [...(this.#accounts.get(account.toLowerCase())?.values() ?? [])].map(view);
  }

  available(account: Address, token: Address): bigint {
    return this.balance(account, token).available;
  }

  /** A confirmed on-chain deposit. */
  deposit(account: Address, token: Address, amount: bigint): void {
    positive(amount, "deposit");
    this.#entry(account, token).finalized += amount;
  }

  /** A confirmed on-chain withdrawal request: reserved at once, whatever `available` was. */
  requestWithdrawal(account: Address, token: Address, amount: bigint): void {
    positive(amount, "withdrawal request");
    this.#entry(account, token).withdrawalRequested += amount;
  }

  /** A withdrawal request cancelled on-chain (or superseded) without paying out. */
  cancelWithdrawalRequest(account: Address, token: Address, amount: bigint): void {
    positive(amount, "withdrawal cancel");
    const entry = this.#entry(account, token);
    invariant(entry.withdrawalRequested >= amount, "cancelling more than was requested");
    entry.withdrawalRequested -= amount;
  }

  /** A confirmed on-chain withdrawal: leaves the vault and consumes its request. */
  withdraw(account: Address, token: Address, amount: bigint): void {
    positive(amount, "withdrawal");
    const entry = this.#entry(account, token);
    invariant(entry.withdrawalRequested >= amount, "withdrawing more than was requested");
    entry.withdrawalRequested -= amount;
    entry.finalized -= amount;
  }

  /**
   * Reserves what a new order may spend. Throws INSUFFICIENT_BALANCE when `available` does not
   * cover it, unless `force` (restoring an order the engine already accepted, after a bust).
   */
  reserve(terms: ReservationTerms, options: { force?: boolean } = {}): void {
    positive(terms.remaining, "reserved order amount");
    invariant(
      !this.#reservations.has(orderKey(terms.orderHash)),
      `order ${terms.orderHash} already reserved`,
    );
    const { token, amount } = requiredReservation(terms);
    const entry = this.#entry(terms.account, token);
    const available = view(entry).available;
    if (!options.force && available < amount) {
      throw new ClearmatchError("INSUFFICIENT_BALANCE", undefined, {
        details: { token, required: amount.toString(), available: available.toString() },
      });
    }
    entry.reserved += amount;
    this.#reservations.set(orderKey(terms.orderHash), {
      terms,
      token,
      remaining: terms.remaining,
      reserved: amount,
    });
  }

  /** Whether an order holds a reservation record (open, or filled but not yet released). */
  hasReservation(orderHash: Hex): boolean {
    return this.#reservations.has(orderKey(orderHash));
  }

  /** The order is closed (cancelled, expired, fully filled): frees what it still holds. */
  release(orderHash: Hex): bigint {
    const reservation = this.#reservations.get(orderKey(orderHash));
    if (!reservation) return 0n;
    this.#entry(reservation.terms.account, reservation.token).reserved -= reservation.reserved;
    this.#reservations.delete(orderKey(orderHash));
    return reservation.reserved;
  }

  /**
   * Applies a matched fill: each order's reservation shrinks to what its new remaining amount
   * needs, and the fill's deltas become pending. A buy filled below its limit price or fee
   * spends less than it had reserved; the difference returns to `available`.
   */
  applyFill(fill: LedgerFill): void {
    invariant(!this.#pendingFills.has(fill.fillId), `fill ${fill.fillId} applied twice`);
    positive(fill.baseAmount, "fill base amount");
    const maker = this.#reservations.get(orderKey(fill.makerOrderHash));
    const taker = this.#reservations.get(orderKey(fill.takerOrderHash));
    invariant(
      maker !== undefined && taker !== undefined,
      `fill ${fill.fillId} names an unreserved order`,
    );
    for (const r of [maker, taker]) {
      invariant(
        r.remaining >= fill.baseAmount,
        `fill ${fill.fillId} exceeds order ${r.terms.orderHash}`,
      );
      invariant(
        lowercase(r.terms.baseToken) === lowercase(fill.baseToken) &&
          lowercase(r.terms.quoteToken) === lowercase(fill.quoteToken),
        `fill ${fill.fillId} tokens differ from order ${r.terms.orderHash}`,
      );
    }
    this.#resize(maker, maker.remaining - fill.baseAmount);
    this.#resize(taker, taker.remaining - fill.baseAmount);

    const takerBuys = fill.takerSide === Side.Buy;
    const buyer = takerBuys ? fill.taker : fill.maker;
    const seller = takerBuys ? fill.maker : fill.taker;
    const buyerFee = takerBuys ? fill.takerFee : fill.makerFee;
    const sellerFee = takerBuys ? fill.makerFee : fill.takerFee;
    const moves = [
      this.#entry(buyer, fill.baseToken),
      fill.baseAmount,
      this.#entry(buyer, fill.quoteToken),
      -(fill.quoteAmount + buyerFee),
      this.#entry(seller, fill.baseToken),
      -fill.baseAmount,
      this.#entry(seller, fill.quoteToken),
      fill.quoteAmount - sellerFee,
      this.#entry(fill.feeRecipient, fill.quoteToken),
      fill.makerFee + fill.takerFee,
    ];
    eachMove(moves, (entry, delta) => {
      entry.pending += delta;
    });
    this.#pendingFills.set(fill.fillId, {
      moves,
      legs: [fill.makerOrderHash, fill.baseAmount, fill.takerOrderHash, fill.baseAmount],
    });
  }

  /** Whether a fill is applied and not yet finalized or rolled back. */
  isPending(fillId: string): boolean {
    return this.#pendingFills.has(fillId);
  }

  /** A batch finalized on-chain: its fills' deltas move from pending into finalized. */
  applyBatchFinalized(fillIds: Iterable<string>): void {
    for (const fillId of fillIds) {
      eachMove(this.#takePending(fillId).moves, (entry, delta) => {
        entry.pending -= delta;
        entry.finalized += delta;
      });
    }
  }

  /**
   * Busts fills (their batch rolled back): their deltas leave pending, and each order that
   * still has a reservation record gets its filled amount back (reserved again without a
   * balance check: the order was accepted). Returns the legs whose order was already released;
   * to restore those orders the caller reserves them again with `force`.
   */
  rollbackFills(fillIds: Iterable<string>): UnrestoredLeg[] {
    const unrestored: UnrestoredLeg[] = [];
    for (const fillId of fillIds) {
      const fill = this.#takePending(fillId);
      eachMove(fill.moves, (entry, delta) => {
        entry.pending -= delta;
      });
      for (const leg of legsOf(fill.legs)) {
        const reservation = this.#reservations.get(orderKey(leg.orderHash));
        if (reservation) this.#resize(reservation, reservation.remaining + leg.baseAmount);
        else unrestored.push(leg);
      }
    }
    return unrestored;
  }

  /**
   * Recomputes every aggregate from its parts and throws INTERNAL on any difference: reserved
   * equals the sum of order reservations, pending the sum of pending fill deltas, each order's
   * reservation what its remaining amount requires, and pending nets to zero per token.
   */
  checkInvariants(): void {
    const reserved = new Map<string, bigint>();
    const pending = new Map<string, bigint>();
    const perToken = new Map<string, bigint>();
    const add = (map: Map<string, bigint>, key: string, v: bigint) =>
      map.set(key, (map.get(key) ?? 0n) + v);
    for (const r of this.#reservations.values()) {
      invariant(r.remaining >= 0n, `order ${r.terms.orderHash} has negative remaining`);
      invariant(
        r.reserved === requiredReservation(r.terms, r.remaining).amount,
        `order ${r.terms.orderHash} reserves ${r.reserved}, needs another amount`,
      );
      add(reserved, key(r.terms.account, r.token), r.reserved);
    }
    for (const f of this.#pendingFills.values()) {
      eachMove(f.moves, (entry, delta) => {
        add(pending, key(entry.account, entry.token), delta);
        add(perToken, lowercase(entry.token), delta);
      });
    }
    for (const [account, tokens] of this.#accounts) {
      for (const [token, entry] of tokens) {
        const k = `${account}:${token}`;
        invariant(entry.reserved === (reserved.get(k) ?? 0n), `reserved of ${k} drifted`);
        invariant(entry.pending === (pending.get(k) ?? 0n), `pending of ${k} drifted`);
        invariant(entry.reserved >= 0n && entry.withdrawalRequested >= 0n, `${k} negative`);
      }
    }
    for (const [token, sum] of perToken)
      invariant(sum === 0n, `pending of ${token} nets to ${sum}`);
  }

  #entry(account: Address, token: Address): Entry {
    return entryOf(this.#state, account, token);
  }

  #resize(reservation: Reservation, remaining: bigint): void {
    const needed = requiredReservation(reservation.terms, remaining).amount;
    this.#entry(reservation.terms.account, reservation.token).reserved +=
      needed - reservation.reserved;
    reservation.remaining = remaining;
    reservation.reserved = needed;
  }

  #takePending(fillId: string): PendingFill {
    const fill = this.#pendingFills.get(fillId);
    invariant(fill !== undefined, `fill ${fillId} is not pending`);
    this.#pendingFills.delete(fillId);
    return fill;
  }
}

/**
 * Calls `fn` with each (entry, delta) pair of a pending fill's moves, in order, without building
 * the pairs (this runs for every fill matched, finalized or rolled back).
 */
function eachMove(moves: readonly (Entry | bigint)[], fn: (entry: Entry, delta: bigint) => void) {
  for (let i = 0; i < moves.length; i += 2) fn(moves[i] as Entry, moves[i + 1] as bigint);
}

/** A pending fill's legs. */
function legsOf(legs: readonly (Hex | bigint)[]): UnrestoredLeg[] {
  const out: UnrestoredLeg[] = [];
  for (let i = 0; i < legs.length; i += 2) {
    out.push({ orderHash: legs[i] as Hex, baseAmount: legs[i + 1] as bigint });
  }
  return out;
}

function key(account: Address, token: Address): string {
  return `${lowercase(account)}:${lowercase(token)}`;
}

function view(entry: Entry): Balance {
  return {
    token: entry.token,
    finalized: entry.finalized,
    pending: entry.pending,
    reserved: entry.reserved,
    withdrawalRequested: entry.withdrawalRequested,
    available: entry.finalized + entry.pending - entry.reserved - entry.withdrawalRequested,
  };
}
