/**
 * `POST /v1/orders/batch`: one answer per order, in order. A malformed order refuses the whole
 * request (throws `ClearmatchApiError`); orders the service refuses come back as items.
 */
import type { SignedOrder, SubmitOrderResult } from "@clearmatch/protocol";
import { ClearmatchApiError } from "../client-errors.js";
import { decodeList, decodeSubmitOrderResult, encodeSignedOrder } from "../wire.js";
import type { Api } from "./api.js";

/** One order's answer in a batch submission. */
export type SubmitOrdersItem =
  | { readonly ok: true; readonly status: number; readonly result: SubmitOrderResult }
  | { readonly ok: false; readonly status: number; readonly error: ClearmatchApiError };

export async function submitOrders(
  api: Api,
  signed: readonly SignedOrder[],
): Promise<SubmitOrdersItem[]> {
  const body = await api.request({
    method: "POST",
    path: "/v1/orders/batch",
    body: { orders: signed.map(encodeSignedOrder) },
  });
  return decodeList("results", (value, path): SubmitOrdersItem => {
    const item = (typeof value === "object" && value !== null ? value : {}) as Record<
      string,
      unknown
    >;
    const status = typeof item["status"] === "number" ? item["status"] : 0;
    const error = item["error"] as
      { code?: unknown; message?: unknown; details?: unknown } | undefined;
    if (error !== undefined && typeof error === "object" && typeof error.code === "string") {
      return {
        ok: false,
        status,
        error: new ClearmatchApiError(error.code, String(error.message ?? error.code), status, {
          details: (error.details ?? undefined) as Record<string, unknown> | undefined,
        }),
      };
    }
    return { ok: true, status, result: decodeSubmitOrderResult(item, path) };
  })(body);
}
