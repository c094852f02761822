/** `GET /v1/batches`, newest first; `before` pages backwards (batch ids below it). */
import type { BatchView } from "@clearmatch/protocol";
import { decodeBatch, decodeList } from "../wire.js";
import { get, type Api } from "./api.js";

export async function getBatches(
  api: Api,
  options: { limit?: number; before?: bigint } = {},
): Promise<BatchView[]> {
  const body = await get(api, "/v1/batches", { limit: options.limit, before: options.before });
  return decodeList("batches", decodeBatch)(body);
}
