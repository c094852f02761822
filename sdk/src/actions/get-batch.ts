/** `GET /v1/batches/{batchId}`. */
import type { BatchView } from "@clearmatch/protocol";
import { decodeBatch } from "../wire.js";
import { get, type Api } from "./api.js";

export async function getBatch(api: Api, batchId: bigint): Promise<BatchView> {
  return decodeBatch(await get(api, `/v1/batches/${batchId}`));
}
