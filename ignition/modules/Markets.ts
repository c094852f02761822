/**
 * Markets: test tokens (when the plan asks for them), then one timelock batch, scheduled and
 * executed by the deployer while the timelock is still in its bootstrap configuration (delay 0,
 * deployer proposer and executor): `setTokenAllowed(token, true)` for every token, then
 * `registerMarket(...)` for every market. Built from the plan (ignition/lib/plan.ts); no
 * parameters of its own.
 *
 * After the deployment, tokens and markets change only through the governance Safe and the
 * timelock's real delay (scripts/lib/safe.ts).
 */
import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";
import { BOOTSTRAP_SALTS, zeroHash } from "../lib/constants.js";
import type { ClearmatchPlan } from "../lib/plan.js";
import type { buildGovernanceModule } from "./Governance.js";
import type { buildSettlementModule } from "./Settlement.js";

export function buildMarketsModule(
  plan: ClearmatchPlan,
  governanceModule: ReturnType<typeof buildGovernanceModule>,
  settlementModule: ReturnType<typeof buildSettlementModule>,
) {
  return buildModule("Markets", (m) => {
    const { timelock } = m.useModule(governanceModule);
    const { settlement } = m.useModule(settlementModule);
    const deployer = m.getAccount(0);

    const tokens = Object.fromEntries(
      Object.entries(plan.tokens).map(([key, token]) => [
        key,
        "address" in token
          ? token.address
          : m.contract(
              "TestERC20",
              [token.testToken.name, token.testToken.symbol, token.testToken.decimals],
              { id: `TestERC20_${key}`, from: deployer },
            ),
      ]),
    );
    // Results are contracts only: the deployed test tokens, as `token<KEY>`.
    const testTokens = Object.fromEntries(
      Object.entries(tokens).flatMap(([key, t]) =>
        typeof t === "string" ? [] : [[`token${key}`, t]],
      ),
    ) as Record<string, Exclude<(typeof tokens)[string], string>>;

    const payloads = [
      ...Object.entries(tokens).map(([key, token]) =>
        m.encodeFunctionCall(settlement, "setTokenAllowed", [token, true], {
          id: `setTokenAllowed_${key}`,
        }),
      ),
      ...plan.markets.map((market) =>
        m.encodeFunctionCall(
          settlement,
          "registerMarket",
          [
            market.marketId,
            tokens[market.base]!,
            tokens[market.quote]!,
            market.tickSize,
            market.lotSize,
          ],
          { id: `registerMarket_${market.marketId}` },
        ),
      ),
    ];
    if (payloads.length === 0) return { ...testTokens };

    const targets = payloads.map(() => settlement);
    const values = payloads.map(() => 0n);
    const schedule = m.call(
      timelock,
      "scheduleBatch",
      [targets, values, payloads, zeroHash, BOOTSTRAP_SALTS.markets, 0n],
      { id: "scheduleTokensAndMarkets", from: deployer },
    );
    m.call(
      timelock,
      "executeBatch",
      [targets, values, payloads, zeroHash, BOOTSTRAP_SALTS.markets],
      {
        id: "executeTokensAndMarkets",
        from: deployer,
        after: [schedule],
      },
    );
    return { ...testTokens };
  });
}
