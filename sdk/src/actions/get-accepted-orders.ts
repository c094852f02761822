/**
 * `GET /v1/feed/orders`, oldest first: every accepted signed order of every account with its
 * `seq`; pass `nextCursor` (a `seq`) as `after` for the next page. A watcher checks committed
 * fills against these orders (their signatures included) without trusting the sequencer.
 */
import type { AcceptedOrderView } from "@clearmatch/protocol";
import { decodeAcceptedOrder, decodeList } from "../wire.js";
import { get, nextCursorOf, type Api, type Page, type PageOptions } from "./api.js";

export async function getAcceptedOrdersPage(
  api: Api,
  options: PageOptions = {},
): Promise<Page<AcceptedOrderView>> {
  const body = await get(api, "/v1/feed/orders", { limit: options.limit, after: options.after });
  return { items: decodeList("orders", decodeAcceptedOrder)(body), ...nextCursorOf(body) };
}
