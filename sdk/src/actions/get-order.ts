/** `GET /v1/orders/{orderHash}`. */
import type { Hex } from "viem";
import type { OrderView } from "@clearmatch/protocol";
import { decodeOrderView } from "../wire.js";
import { get, type Api } from "./api.js";

export async function getOrder(api: Api, orderHash: Hex): Promise<OrderView> {
  return decodeOrderView(await get(api, `/v1/orders/${orderHash}`));
}
