/**
 * The build-time shape of a Clearmatch deployment.
 *
 * Ignition resolves module parameters when it executes, not when it builds the module, so a
 * parameter cannot decide which futures exist. Three things change the set of futures and are
 * therefore read when the module is built: whether the Safe contracts are deployed or the
 * canonical ones are used, which tokens exist (deployed test tokens or given addresses), and
 * which markets are registered. They live in the same per-network parameters file, under the
 * `Clearmatch` key (Ignition ignores it: no module reads it as a parameter); everything else
 * (owners, thresholds, delays, roles) is an ordinary module parameter.
 */
import { readFileSync } from "node:fs";
import { isAddress, type Address } from "viem";

/** A test token the deployment creates (local chains only): `TestERC20(name, symbol, decimals)`. */
export interface TestTokenPlan {
  name: string;
  symbol: string;
  /** ERC-20 decimals, 0..255. */
  decimals: number;
}

/** A token the settlement vault allows: an existing address, or a test token to deploy. */
export type TokenPlan = { address: Address } | { testToken: TestTokenPlan };

/** A market registered through the timelock during the bootstrap. */
export interface MarketPlan {
  marketId: number;
  /** Key of the base token in `ClearmatchPlan.tokens`. */
  base: string;
  /** Key of the quote token in `ClearmatchPlan.tokens`. */
  quote: string;
  /** Price step, quote atoms per whole base unit. */
  tickSize: bigint;
  /** Base amount step, base atoms. `(lotSize * tickSize) % 10^baseDecimals` must be 0. */
  lotSize: bigint;
}

export interface ClearmatchPlan {
  /**
   * true: use the canonical Safe v1.4.1 deployments (live chains; addresses overridable by the
   * `SafeInfra` parameters). false: deploy the Safe singleton, factory and fallback handler.
   */
  useCanonicalSafe: boolean;
  /** Tokens by key (a short name such as "USDC"); every one is allow-listed. */
  tokens: Record<string, TokenPlan>;
  markets: MarketPlan[];
}

/** Ignition's parameters file: module id -> parameter name -> value ("123n" for bigints). */
export type ParametersFile = Record<string, Record<string, unknown>>;

/** Ignition's JSON convention for bigints: a decimal string ending in "n". */
function toBigInt(value: unknown, what: string): bigint {
  if (typeof value === "bigint") return value;
  if (typeof value === "number" && Number.isSafeInteger(value)) return BigInt(value);
  if (typeof value === "string" && /^[0-9]+n?$/.test(value)) return BigInt(value.replace(/n$/, ""));
  throw new Error(`deployment plan: ${what} must be an integer, got ${String(value)}`);
}

/** Reads and checks the plan from a parameters file's `Clearmatch` section. */
export function planFromParameters(parameters: ParametersFile): ClearmatchPlan {
  const raw = parameters.Clearmatch;
  if (raw === undefined)
    throw new Error('deployment plan: the parameters have no "Clearmatch" key');
  if (typeof raw.useCanonicalSafe !== "boolean") {
    throw new Error("deployment plan: Clearmatch.useCanonicalSafe must be true or false");
  }
  const tokens: Record<string, TokenPlan> = {};
  for (const [key, spec] of Object.entries((raw.tokens ?? {}) as Record<string, any>)) {
    if (!/^[A-Za-z0-9]+$/.test(key)) throw new Error(`deployment plan: bad token key "${key}"`);
    if (spec?.address !== undefined) {
      if (!isAddress(spec.address) || /^0x0{40}$/.test(spec.address)) {
        throw new Error(`deployment plan: token ${key} needs a real address (got ${spec.address})`);
      }
      tokens[key] = { address: spec.address };
    } else if (spec?.testToken !== undefined) {
      const { name, symbol, decimals } = spec.testToken;
      if (typeof name !== "string" || typeof symbol !== "string") {
        throw new Error(`deployment plan: test token ${key} needs a name and a symbol`);
      }
      if (!Number.isInteger(decimals) || decimals < 0 || decimals > 255) {
        throw new Error(`deployment plan: test token ${key} needs decimals in 0..255`);
      }
      tokens[key] = { testToken: { name, symbol, decimals } };
    } else {
      throw new Error(`deployment plan: token ${key} needs "address" or "testToken"`);
    }
  }
  const seen = new Set<number>();
  const markets = ((raw.markets ?? []) as any[]).map((m): MarketPlan => {
    const marketId = Number(m.marketId);
    if (
      !Number.isInteger(marketId) ||
      marketId < 0 ||
      marketId > 0xffffffff ||
      seen.has(marketId)
    ) {
      throw new Error(`deployment plan: bad or repeated marketId ${m.marketId}`);
    }
    seen.add(marketId);
    for (const side of ["base", "quote"] as const) {
      if (tokens[m[side]] === undefined) {
        throw new Error(
          `deployment plan: market ${marketId} ${side} token "${m[side]}" is not in tokens`,
        );
      }
    }
    const market: MarketPlan = {
      marketId,
      base: m.base,
      quote: m.quote,
      tickSize: toBigInt(m.tickSize, `market ${marketId} tickSize`),
      lotSize: toBigInt(m.lotSize, `market ${marketId} lotSize`),
    };
    // Only test tokens' decimals are known before deployment; the contract checks the others.
    const base = tokens[market.base];
    if (base !== undefined && "testToken" in base) {
      const unit = 10n ** BigInt(base.testToken.decimals);
      if ((market.lotSize * market.tickSize) % unit !== 0n) {
        throw new Error(
          `deployment plan: market ${marketId}: lotSize * tickSize % 10^baseDecimals != 0`,
        );
      }
    }
    return market;
  });
  return { useCanonicalSafe: raw.useCanonicalSafe, tokens, markets };
}

/** Marks a value a person must fill in before a live deployment (see ignition/parameters/*.json). */
export const PLACEHOLDER_PREFIX = "REPLACE_ME";

/** Throws, naming them, if any parameter value is still a placeholder. */
export function assertNoPlaceholders(parameters: ParametersFile): void {
  const left: string[] = [];
  const visit = (value: unknown, where: string): void => {
    if (typeof value === "string" && value.startsWith(PLACEHOLDER_PREFIX)) left.push(where);
    else if (Array.isArray(value)) value.forEach((v, i) => visit(v, `${where}[${i}]`));
    else if (typeof value === "object" && value !== null) {
      for (const [k, v] of Object.entries(value)) visit(v, where === "" ? k : `${where}.${k}`);
    }
  };
  visit(parameters, "");
  if (left.length > 0) {
    throw new Error(
      `parameters still hold placeholders (${PLACEHOLDER_PREFIX}...): ${left.join(", ")}`,
    );
  }
}

/** Reads a parameters file as Ignition does: "123n" strings become bigints. */
export function readParametersFile(path: string): ParametersFile {
  return JSON.parse(readFileSync(path, "utf8"), (_key, value: unknown) =>
    typeof value === "string" && /^[0-9]+n$/.test(value) ? BigInt(value.slice(0, -1)) : value,
  ) as ParametersFile;
}
