/** `POST /v1/cancels`: a signed `Cancel(orderHash)`. Idempotent. */
import type { CancelResult, SignedCancel } from "@clearmatch/protocol";
import { decodeCancelResult, encodeSignedCancel } from "../wire.js";
import type { Api } from "./api.js";

export async function submitCancel(api: Api, signed: SignedCancel): Promise<CancelResult> {
  const body = await api.request({
    method: "POST",
    path: "/v1/cancels",
    body: encodeSignedCancel(signed),
  });
  return decodeCancelResult(body);
}
