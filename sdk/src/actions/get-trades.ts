/** `GET /v1/markets/{marketId}/trades`, newest first. */
import type { TradeView } from "@clearmatch/protocol";
import { decodeList, decodeTrade } from "../wire.js";
import { get, type Api } from "./api.js";

export async function getTrades(
  api: Api,
  marketId: number,
  options: { limit?: number } = {},
): Promise<TradeView[]> {
  const body = await get(api, `/v1/markets/${marketId}/trades`, { limit: options.limit });
  return decodeList("trades", decodeTrade)(body);
}
