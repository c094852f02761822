/**
 * Paged queries over the core's live state and its archive: live entries first (from the
 * core's indexes), then the archive, merged newest first. Paging is stable while new entries
 * arrive (they go before the first page) and while entries move to the archive.
 */
import type { Address, Hex } from "viem";
import { lowercase } from "../crypto/lowercase.js";
import type { CoreBatch, CoreFill, CoreOrder } from "../core/core-types.js";
import type { ExchangeCore } from "../core/exchange-core.js";
import { mergeNewest } from "../core/history.js";

/** Past any id the core assigns: "before the newest" in archive queries. */
const NO_BOUND = Number.MAX_SAFE_INTEGER;

/** At most `limit` batches with ids below `before` (default: all), newest first. */
export function batchesPage(core: ExchangeCore, limit: number, before?: bigint): CoreBatch[] {
  const live = core.liveBatches().filter((b) => before === undefined || b.batchId < before);
  const archived = core.history.batches(before ?? 1n << 64n, limit);
  return mergeNewest(live.slice(0, limit), archived, (b) => b.batchId, limit);
}

/** Every batch, live and archived, newest first (diagnostics and tests: reads the archive). */
export function allBatches(core: ExchangeCore): CoreBatch[] {
  return batchesPage(core, Number.MAX_SAFE_INTEGER);
}

/** An account's orders, newest first. */
export function allAccountOrders(core: ExchangeCore, account: Address): CoreOrder[] {
  return accountOrdersPage(core, account, Number.MAX_SAFE_INTEGER)!;
}

/** An account's fills, newest first. */
export function allAccountFills(core: ExchangeCore, account: Address): CoreFill[] {
  return accountFillsPage(core, account, Number.MAX_SAFE_INTEGER)!;
}

/**
 * One page of the order feed: every accepted order of every account, signature included, in
 * acceptance order (`seq` ascending), at most `limit` with `seq > afterSeq`, live or archived.
 * New orders get higher `seq`, and an order moving to the archive keeps its own. A page walks the
 * live orders once (O(live orders)); the archive answers by index.
 */
export function acceptedOrdersPage(
  core: ExchangeCore,
  afterSeq: number,
  limit: number,
): CoreOrder[] {
  const live: CoreOrder[] = [];
  for (const o of core.liveOrders()) if (o.seq > afterSeq) live.push(o);
  live.sort((x, y) => x.seq - y.seq);
  if (live.length > limit) live.length = limit;
  const archived = core.history.acceptedOrders(afterSeq, limit);
  return mergeNewest(live, archived, (o) => -o.seq, limit);
}

/**
 * One page of an account's orders, newest (highest `seq`) first: at most `limit`, starting right
 * after the order `after` (the previous page's last order hash), else from the newest. Undefined
 * when `after` is not one of the account's orders.
 */
export function accountOrdersPage(
  core: ExchangeCore,
  account: Address,
  limit: number,
  after?: Hex,
): CoreOrder[] | undefined {
  let before = NO_BOUND;
  if (after !== undefined) {
    const cursor = core.order(after);
    if (!cursor || lowercase(cursor.order.trader) !== lowercase(account)) return undefined;
    before = cursor.seq;
  }
  const list = core.accountOrderKeys(account);
  const orderAt = (i: number) => core.liveOrder(list[i]!)!;
  // The list is in acceptance order: the live orders before the cursor are a prefix of it.
  const lo = lowerBound(list.length, (i) => orderAt(i).seq < before);
  const live: CoreOrder[] = [];
  for (let i = lo - 1; i >= 0 && live.length < limit; i--) live.push(orderAt(i));
  const archived = core.history.accountOrders(account, before, limit);
  return mergeNewest(live, archived, (o) => o.seq, limit);
}

/**
 * One page of an account's fills, newest (highest fill id) first: at most `limit`, starting right
 * after fill `after` (the previous page's last fill id), else from the newest. Undefined when
 * `after` is not one of the account's fills.
 */
export function accountFillsPage(
  core: ExchangeCore,
  account: Address,
  limit: number,
  after?: number,
): CoreFill[] | undefined {
  const key = lowercase(account);
  let before = NO_BOUND;
  if (after !== undefined) {
    const cursor = core.fill(after);
    if (!cursor || (lowercase(cursor.fill.maker) !== key && lowercase(cursor.fill.taker) !== key))
      return undefined;
    before = after;
  }
  const list = core.accountFillIds(account);
  // Fill ids are assigned in increasing order and appended as matched: the list is sorted.
  const end = lowerBound(list.length, (i) => list[i]! < before);
  const live = list
    .slice(Math.max(0, end - limit), end)
    .reverse()
    .map((id) => core.liveFill(id)!);
  const archived = core.history.accountFills(account, before, limit);
  return mergeNewest(live, archived, (f) => f.fillId, limit);
}

/** A market's fills, newest first (busted ones included; callers filter). */
export function marketFills(core: ExchangeCore, marketId: number, limit: number): CoreFill[] {
  const live = core
    .marketFillIds(marketId)
    .slice(-limit)
    .map((id) => core.liveFill(id)!)
    .reverse();
  return mergeNewest(live, core.history.marketFills(marketId, limit), (f) => f.fillId, limit);
}

/** How many of `length` indexes satisfy `below`, which holds for a prefix of them. */
function lowerBound(length: number, below: (index: number) => boolean): number {
  let lo = 0;
  let hi = length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (below(mid)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
