/**
 * `GET /v1/accounts/{address}/orders`: one page, newest first; pass `nextCursor` as `after` for
 * the next (INVALID_CURSOR if unknown).
 */
import type { Address } from "viem";
import type { OrderView } from "@clearmatch/protocol";
import { decodeList, decodeOrderView } from "../wire.js";
import { get, nextCursorOf, type Api, type Page, type PageOptions } from "./api.js";

export async function getAccountOrdersPage(
  api: Api,
  account: Address,
  options: PageOptions = {},
): Promise<Page<OrderView>> {
  const body = await get(api, `/v1/accounts/${account}/orders`, {
    limit: options.limit,
    after: options.after,
  });
  return { items: decodeList("orders", decodeOrderView)(body), ...nextCursorOf(body) };
}
