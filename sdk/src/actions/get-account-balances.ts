/** `GET /v1/accounts/{address}/balances`: per token, as the sequencer's ledger holds them. */
import type { Address } from "viem";
import type { BalanceView } from "@clearmatch/protocol";
import { decodeBalance, decodeList } from "../wire.js";
import { get, type Api } from "./api.js";

export async function getAccountBalances(api: Api, account: Address): Promise<BalanceView[]> {
  return decodeList("balances", decodeBalance)(await get(api, `/v1/accounts/${account}/balances`));
}
