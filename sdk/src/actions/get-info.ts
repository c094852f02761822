/** `GET /v1/info`: the server's EIP-712 domain and order limits. */
import type { ExchangeInfo } from "@clearmatch/protocol";
import { decodeExchangeInfo } from "../wire.js";
import { get, type Api } from "./api.js";

export async function getInfo(api: Api): Promise<ExchangeInfo> {
  return decodeExchangeInfo(await get(api, "/v1/info"));
}
