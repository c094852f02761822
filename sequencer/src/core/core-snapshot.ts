/**
 * The core's state as JSON-safe data (tagged bigints) and back. The engine and the ledger
 * snapshot themselves; `ExchangeCore.snapshot` and `restore` put the three together.
 */
import type { EngineSnapshot } from "../engine/snapshot.js";
import type { LedgerSnapshot } from "./ledger-snapshot.js";
import { DEFAULT_EXPIRY_MARGIN_SEC, emptyState, type CoreState } from "./core-state.js";
import { fromTagged, fromTaggedJson, toTagged } from "./service-record.js";

export interface CoreSnapshot {
  engine: EngineSnapshot;
  ledger: LedgerSnapshot;
  /**
   * Everything else, as JSON-safe data with tagged bigints (`toTagged`); snapshots written before
   * that hold it as one string of tagged JSON, which restore still reads.
   */
  state: unknown;
}

/** The maps and sets of `CoreState`, written as entry arrays. */
const COLLECTIONS = [
  "orders",
  "fills",
  "unsettled",
  "pruneOrders",
  "batches",
  "matched",
  "chainCancels",
  "nonceFloors",
  "withdrawals",
  "challenges",
  "provenOrders",
  "lastPrice",
  "bookSeq",
  "accountOrders",
  "accountFills",
  "marketFills",
  "depositors",
  "halts",
] as const satisfies readonly (keyof CoreState)[];

export function snapshotState(s: CoreState): unknown {
  const state: Record<string, unknown> = { ...s };
  for (const k of COLLECTIONS) state[k] = [...s[k]];
  return toTagged(state);
}

/**
 * The state of a snapshot's `state` field, and whether it predates retention (then the order
 * numbers, the pending counts and the prune queues are to be derived: `planRetention`).
 */
export function restoreState(saved: unknown): { state: CoreState; beforeRetention: boolean } {
  const j =
    typeof saved === "string"
      ? fromTaggedJson<Record<string, never>>(saved)
      : fromTagged<Record<string, never>>(saved);
  const s = emptyState();
  Object.assign(s, {
    initialized: j["initialized"],
    nextBatchId: j["nextBatchId"],
    feeRecipient: j["feeRecipient"],
    makerFeeBps: j["makerFeeBps"],
    takerFeeBps: j["takerFeeBps"],
    expiryMarginSec: j["expiryMarginSec"] ?? DEFAULT_EXPIRY_MARGIN_SEC,
    lastPosition: j["lastPosition"],
    paused: j["paused"],
    orders: new Map(j["orders"]),
    fills: new Map(j["fills"]),
    batches: new Map(j["batches"]),
    matched: new Set(j["matched"]),
    chainCancels: new Set(j["chainCancels"]),
    nonceFloors: new Map(j["nonceFloors"]),
    withdrawals: new Map(j["withdrawals"]),
    challenges: new Map(j["challenges"]),
    provenOrders: new Map(j["provenOrders"]),
    lastPrice: new Map(j["lastPrice"]),
    bookSeq: new Map(j["bookSeq"]),
    accountOrders: new Map(j["accountOrders"]),
    accountFills: new Map(j["accountFills"]),
    marketFills: new Map(j["marketFills"]),
    depositors: new Set(j["depositors"]),
    // Absent in snapshots taken before the kill switch and halts were journaled.
    killSwitch: j["killSwitch"] ?? { engaged: false },
    halts: new Map(j["halts"] ?? []),
  });
  // Absent in snapshots taken before retention: derived from the rest.
  const beforeRetention = j["unsettled"] === undefined;
  if (!beforeRetention) {
    Object.assign(s, {
      nextOrderSeq: j["nextOrderSeq"],
      unsettled: new Map(j["unsettled"]),
      pruneOrders: new Set(j["pruneOrders"]),
      pruneFills: j["pruneFills"],
      pruneBatches: j["pruneBatches"],
    });
  }
  return { state: s, beforeRetention };
}
