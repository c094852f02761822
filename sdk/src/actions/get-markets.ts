/** `GET /v1/markets`: markets as registered on-chain. */
import type { MarketView } from "@clearmatch/protocol";
import { decodeList, decodeMarket } from "../wire.js";
import { get, type Api } from "./api.js";

export async function getMarkets(api: Api): Promise<MarketView[]> {
  return decodeList("markets", decodeMarket)(await get(api, "/v1/markets"));
}
