/**
 * `GET /v1/info`, after checking that the server signs under `domain` (chain id and settlement
 * address as the client is configured): otherwise every order would be refused, so this throws
 * `DOMAIN_MISMATCH` naming both domains. Call it once at start-up.
 */
import type { ClearmatchDomain, ExchangeInfo } from "@clearmatch/protocol";
import { ClearmatchClientError } from "../client-errors.js";
import type { Api } from "./api.js";
import { getInfo } from "./get-info.js";

export async function checkDomain(api: Api, domain: ClearmatchDomain): Promise<ExchangeInfo> {
  const info = await getInfo(api);
  const theirs = info.domain;
  if (
    theirs.name !== domain.name ||
    theirs.version !== domain.version ||
    theirs.chainId !== domain.chainId ||
    theirs.verifyingContract.toLowerCase() !== domain.verifyingContract.toLowerCase()
  ) {
    throw new ClearmatchClientError(
      "DOMAIN_MISMATCH",
      `the server signs under chain ${theirs.chainId}, contract ${theirs.verifyingContract}; ` +
        `this client under chain ${domain.chainId}, contract ${domain.verifyingContract}`,
      { details: { server: theirs, client: domain } },
    );
  }
  return info;
}
