import { readFileSync, writeFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { configVariables, loadConfig } from "../src/config/config.js";
import { renderConfigDoc } from "../src/config/render-config-doc.js";
import { ClearmatchError } from "../src/errors/clearmatch-error.js";

const KEY = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d";
const REQUIRED = {
  RPC_URL: "http://127.0.0.1:8545",
  CHAIN_ID: "31337",
  SETTLEMENT_ADDRESS: "0x5fbdb2315678afecb367f032d93f642f64180aa3",
  SEQUENCER_PRIVATE_KEY: KEY,
};

function configError(env: Record<string, string>): ClearmatchError {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ClearmatchError) return error;
    throw error;
  }
  throw new Error("loadConfig accepted the environment");
}

describe("loadConfig", () => {
  it("applies the documented defaults", () => {
    const config = loadConfig(REQUIRED);
    expect(config).toMatchObject({
      HOST: "127.0.0.1",
      PORT: 8080,
      TRUST_PROXY: false,
      REDIS_URL: "redis://127.0.0.1:6379",
      CHAIN_ID: 31337,
      SETTLEMENT_ADDRESS: "0x5FbDB2315678afecb367f032d93F642f64180aa3",
      DATA_DIR: "./data",
      CONFIRMATIONS: 1,
      BATCH_MAX_FILLS: 1000,
      BATCH_MAX_MS: 2000,
      MAX_BATCH_ORDERS: 100,
      MAX_BODY_BYTES: 65536,
      PRICE_BAND_BPS: 1000,
      MAX_ORDER_LIFETIME_SEC: 7776000,
      RATE_LIMIT_PER_SEC: 50,
      RATE_LIMIT_BURST: 100,
      IP_RATE_LIMIT_PER_SEC: 0,
      CIRCUIT_BREAKER_BPS: 1500,
      CIRCUIT_BREAKER_WINDOW_MS: 60000,
      ADMIN_TOKEN: undefined,
      LOG_LEVEL: "info",
    });
    expect(Object.isFrozen(config)).toBe(true);
  });

  it("parses set values and treats empty ones as unset", () => {
    const config = loadConfig({
      ...REQUIRED,
      PORT: "0",
      TRUST_PROXY: "1",
      LOG_LEVEL: "debug",
      HOST: "",
    });
    expect(config).toMatchObject({
      PORT: 0,
      TRUST_PROXY: true,
      LOG_LEVEL: "debug",
      HOST: "127.0.0.1",
    });
  });

  it("lists every missing required variable in one error", () => {
    const error = configError({});
    expect(error.code).toBe("CONFIG_INVALID");
    const variables = (error.details!["issues"] as { variable: string }[]).map((i) => i.variable);
    expect(variables).toEqual([
      "RPC_URL",
      "CHAIN_ID",
      "SETTLEMENT_ADDRESS",
      "SEQUENCER_PRIVATE_KEY",
    ]);
    for (const name of variables) expect(error.message).toContain(`${name}: is required`);
  });

  it("lists every invalid variable without echoing secret values", () => {
    const badKey = "0x" + "f".repeat(64); // above the curve order
    const error = configError({
      ...REQUIRED,
      PORT: "80a",
      CHAIN_ID: "-1",
      SETTLEMENT_ADDRESS: "0x5FBDB2315678afecb367f032d93f642f64180aa3",
      SEQUENCER_PRIVATE_KEY: badKey,
      REDIS_URL: "http://localhost",
      PRICE_BAND_BPS: "1.5",
      LOG_LEVEL: "loud",
      ADMIN_TOKEN: "short-secret",
      TRUST_PROXY: "yes",
      BATCH_MAX_FILLS: "0",
    });
    const variables = (error.details!["issues"] as { variable: string }[])
      .map((i) => i.variable)
      .sort();
    expect(variables).toEqual(
      [
        "PORT",
        "CHAIN_ID",
        "SETTLEMENT_ADDRESS",
        "SEQUENCER_PRIVATE_KEY",
        "REDIS_URL",
        "PRICE_BAND_BPS",
        "LOG_LEVEL",
        "ADMIN_TOKEN",
        "TRUST_PROXY",
        "BATCH_MAX_FILLS",
      ].sort(),
    );
    expect(error.message).not.toContain(badKey);
    expect(error.message).not.toContain("short-secret");
    expect(JSON.stringify(error.details)).not.toContain("short-secret");
  });

  it("refuses a per-account burst a full batch could never fit in", () => {
    const error = configError({ ...REQUIRED, MAX_BATCH_ORDERS: "200" });
    expect(error.details!["issues"]).toEqual([
      { variable: "RATE_LIMIT_BURST", message: expect.any(String) },
    ]);
  });

  it("accepts an admin token of at least 32 characters", () => {
    expect(loadConfig({ ...REQUIRED, ADMIN_TOKEN: "a".repeat(32) }).ADMIN_TOKEN).toBe(
      "a".repeat(32),
    );
  });
});

describe("docs/configuration.md", () => {
  const path = new URL("../../docs/configuration.md", import.meta.url);

  it("is rendered from the config definitions", () => {
    if (process.env["UPDATE_DOCS"] === "1") writeFileSync(path, renderConfigDoc());
    expect(readFileSync(path, "utf8")).toBe(renderConfigDoc());
  });

  it("names every variable", () => {
    const doc = readFileSync(path, "utf8");
    for (const name of Object.keys(configVariables)) expect(doc).toContain(`| \`${name}\` |`);
  });
});
