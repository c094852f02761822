/** `POST /v1/orders`: idempotent by order hash (`created: false` for a resubmission). */
import type { SignedOrder, SubmitOrderResult } from "@clearmatch/protocol";
import { decodeSubmitOrderResult, encodeSignedOrder } from "../wire.js";
import type { Api } from "./api.js";

export async function submitOrder(api: Api, signed: SignedOrder): Promise<SubmitOrderResult> {
  const body = await api.request({
    method: "POST",
    path: "/v1/orders",
    body: encodeSignedOrder(signed),
  });
  return decodeSubmitOrderResult(body);
}
