/** The balance ledger's state as JSON-safe data for the service's snapshots, and back. */
import type { Address, Hex } from "viem";
import {
  emptyLedgerState,
  entryOf,
  invariant,
  orderKey,
  type Entry,
  type LedgerState,
  type ReservationTerms,
} from "./ledger-state.js";

type Str<T> = { [K in keyof T]: T[K] extends bigint ? string : T[K] };

/** JSON-safe image of a {@link BalanceLedger} (see `snapshot`). */
export interface LedgerSnapshot {
  entries: Array<Str<Omit<Entry, "account">> & { account: string }>;
  reservations: Array<{
    terms: Str<ReservationTerms>;
    token: string;
    remaining: string;
    reserved: string;
  }>;
  /**
   * Pending fills, in the order they were applied: [fillId, moves, legs], where moves alternates
   * an entry's position in `entries` and its delta, and legs an order hash and the base amount
   * taken from it (amounts as decimal strings).
   */
  pending?: Array<[string, Array<number | string>, string[]]>;
  /** Pending fills as snapshots written before `pending` held them: still read. */
  pendingFills?: Array<{
    fillId: string;
    deltas: Array<{ account: Address; token: Address; delta: string }>;
    legs: Array<{ orderHash: Hex; baseAmount: string }>;
  }>;
}

/**
 * The whole ledger as JSON-safe data (bigints as decimal strings), in insertion order, for the
 * service's snapshots; `restoreLedger` rebuilds an equal state.
 */
export function snapshotLedger(state: LedgerState): LedgerSnapshot {
  const s = (v: bigint) => v.toString();
  const entries = [...state.accounts.values()].flatMap((tokens) => [...tokens.values()]);
  // Pending fills name their entries by position in `entries`: 20-40 bytes per move instead
  // of two addresses and three keys.
  const position = new Map<Entry, number>(entries.map((e, i) => [e, i]));
  return {
    entries: entries.map((e) => ({
      account: e.account,
      token: e.token,
      finalized: s(e.finalized),
      pending: s(e.pending),
      reserved: s(e.reserved),
      withdrawalRequested: s(e.withdrawalRequested),
    })),
    reservations: [...state.reservations.values()].map((r) => ({
      terms: { ...r.terms, price: s(r.terms.price), remaining: s(r.terms.remaining) },
      token: r.token,
      remaining: s(r.remaining),
      reserved: s(r.reserved),
    })),
    pending: [...state.pendingFills].map(([fillId, f]) => [
      fillId,
      f.moves.map((m) => (typeof m === "bigint" ? s(m) : position.get(m)!)),
      f.legs.map(String),
    ]),
  };
}

export function restoreLedger(snapshot: LedgerSnapshot): LedgerState {
  const ledger = emptyLedgerState();
  const b = BigInt;
  const entries = snapshot.entries.map((e) => {
    const entry = entryOf(ledger, e.account as Address, e.token as Address);
    entry.finalized = b(e.finalized);
    entry.pending = b(e.pending);
    entry.reserved = b(e.reserved);
    entry.withdrawalRequested = b(e.withdrawalRequested);
    return entry;
  });
  for (const r of snapshot.reservations) {
    const terms = { ...r.terms, price: b(r.terms.price), remaining: b(r.terms.remaining) };
    ledger.reservations.set(orderKey(terms.orderHash), {
      terms,
      token: r.token as Address,
      remaining: b(r.remaining),
      reserved: b(r.reserved),
    });
  }
  for (const [fillId, moves, legs] of snapshot.pending ?? []) {
    ledger.pendingFills.set(fillId, {
      moves: moves.map((m, i) => {
        if (i % 2 === 1) return b(m);
        const entry = entries[m as number];
        invariant(entry !== undefined, `pending fill ${fillId} names no entry ${m}`);
        return entry;
      }),
      legs: legs.map((l, i) => (i % 2 === 1 ? b(l) : (l as Hex))),
    });
  }
  // Snapshots written before the compact form.
  for (const f of snapshot.pendingFills ?? []) {
    ledger.pendingFills.set(f.fillId, {
      moves: f.deltas.flatMap((d) => [entryOf(ledger, d.account, d.token), b(d.delta)]),
      legs: f.legs.flatMap((l) => [l.orderHash, b(l.baseAmount)]),
    });
  }
  return ledger;
}
