/** `GET /v1/markets/{marketId}/book`: levels per side, `depth` 1..500 (server default 50). */
import type { BookView } from "@clearmatch/protocol";
import { decodeBook } from "../wire.js";
import { get, type Api } from "./api.js";

export async function getBook(
  api: Api,
  marketId: number,
  options: { depth?: number } = {},
): Promise<BookView> {
  return decodeBook(await get(api, `/v1/markets/${marketId}/book`, { depth: options.depth }));
}
