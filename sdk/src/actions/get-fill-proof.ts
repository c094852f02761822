/**
 * `GET /v1/fills/{fillId}/proof`: the fill's leaf, Merkle proof, batch and both signed orders
 * (check it with `verifyFillProof`).
 */
import type { FillProofView } from "@clearmatch/protocol";
import { decodeFillProof } from "../wire.js";
import { get, type Api } from "./api.js";

export async function getFillProof(api: Api, fillId: string): Promise<FillProofView> {
  return decodeFillProof(await get(api, `/v1/fills/${encodeURIComponent(fillId)}/proof`));
}
