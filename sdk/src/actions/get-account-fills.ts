/**
 * `GET /v1/accounts/{address}/fills`: one page, newest first; pass `nextCursor` as `after` for
 * the next (INVALID_CURSOR if unknown).
 */
import type { Address } from "viem";
import type { FillView } from "@clearmatch/protocol";
import { decodeFill, decodeList } from "../wire.js";
import { get, nextCursorOf, type Api, type Page, type PageOptions } from "./api.js";

export async function getAccountFillsPage(
  api: Api,
  account: Address,
  options: PageOptions = {},
): Promise<Page<FillView>> {
  const body = await get(api, `/v1/accounts/${account}/fills`, {
    limit: options.limit,
    after: options.after,
  });
  return { items: decodeList("fills", decodeFill)(body), ...nextCursorOf(body) };
}
