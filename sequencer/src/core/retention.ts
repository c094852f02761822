/**
 * Retention: what nothing can change any more leaves memory for the `history` archive at the next
 * clock tick (`expire` record): a fill once final (FINALIZED or ROLLED_BACK), a batch once
 * finalized or rolled back, an order once closed with every fill of it final. Queries read memory
 * first, then the archive, so answers do not depend on what was pruned.
 */
import { lowercase } from "../crypto/lowercase.js";
import type { CoreBatch, CoreFill, CoreOrder } from "./core-types.js";
import { CLOSED, type CoreContext, type CoreState } from "./core-state.js";
import { countPending } from "./fills.js";

/**
 * Moves what became final since the last tick to the archive: it leaves the maps and the
 * account and market lists, so memory holds only what is live.
 */
export function prune(c: CoreContext): void {
  const s = c.s;
  const orders: CoreOrder[] = [];
  const fills: CoreFill[] = [];
  const batches: CoreBatch[] = [];
  for (const key of s.pruneOrders) {
    const o = s.orders.get(key);
    // Closed, with no fill left pending (a maker's later fill may have reopened the count).
    if (o && CLOSED.has(o.status) && !s.unsettled.has(key)) orders.push(o);
  }
  for (const id of s.pruneFills) {
    const f = s.fills.get(id);
    if (f) fills.push(f);
  }
  for (const key of s.pruneBatches) {
    const b = s.batches.get(key);
    if (b) batches.push(b);
  }
  const any = orders.length + fills.length + batches.length !== 0;
  // Archived first: if that throws, the core is as it was and the queues are still there.
  if (any) c.history.write({ orders, fills, batches });
  s.pruneOrders.clear();
  s.pruneFills = [];
  s.pruneBatches = [];
  if (!any) return;
  for (const b of batches) s.batches.delete(String(b.batchId));
  const gone = new Set<string | number>();
  /** Each list an entry leaves, and how many of its items leave it. */
  const lists = new Map<(string | number)[], number>();
  const leaves = (map: Map<string, (string | number)[]>, key: string) => {
    const list = map.get(lowercase(key));
    if (list) lists.set(list, (lists.get(list) ?? 0) + 1);
  };
  for (const o of orders) {
    const key = lowercase(o.orderHash);
    s.orders.delete(key);
    gone.add(key);
    leaves(s.accountOrders, o.order.trader);
  }
  for (const f of fills) {
    s.fills.delete(f.fillId);
    gone.add(f.fillId);
    leaves(s.accountFills, f.fill.maker);
    // The taker's fills are listed apart only when it is another account (see fills.ts).
    if (lowercase(f.fill.taker) !== lowercase(f.fill.maker)) leaves(s.accountFills, f.fill.taker);
    leaves(s.marketFills, String(f.fill.marketId));
  }
  // Keeping order: the lists stay sorted by acceptance (orders) or fill id (fills). What leaves
  // is usually the oldest (batches finalize in order), a prefix: cut at the front then, which
  // V8 does without copying the rest; otherwise compact in place.
  for (const [list, count] of lists) {
    let prefix = 0;
    while (prefix < list.length && gone.has(list[prefix]!)) prefix++;
    if (prefix === count) {
      list.splice(0, prefix);
      continue;
    }
    let n = 0;
    for (const item of list) if (!gone.has(item)) list[n++] = item;
    list.length = n;
  }
}

/**
 * For a snapshot written before retention: numbers the orders in acceptance order (the map's),
 * counts each order's pending fills, and queues everything already final for the next tick.
 */
export function planRetention(c: CoreContext): void {
  const s: CoreState = c.s;
  for (const o of s.orders.values()) o.seq = s.nextOrderSeq++;
  for (const f of s.fills.values()) {
    if (f.state === "FINALIZED" || f.state === "ROLLED_BACK") {
      s.pruneFills.push(f.fillId);
      continue;
    }
    countPending(c, f.fill);
  }
  for (const [key, o] of s.orders) {
    if (CLOSED.has(o.status) && !s.unsettled.has(key)) s.pruneOrders.add(key);
  }
  for (const [key, b] of s.batches) {
    if (b.state === "FINALIZED" || b.state === "ROLLED_BACK") s.pruneBatches.push(key);
  }
}
