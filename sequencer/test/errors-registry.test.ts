import { readFileSync, writeFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { ClearmatchError, isClearmatchError } from "../src/errors/clearmatch-error.js";
import { allErrorCodes, errorCodes, isErrorCode } from "../src/errors/error-codes.js";
import { renderErrorDoc } from "../src/errors/render-error-doc.js";

/** Codes that report a fault of the service itself; every other code rejects client input. */
const SERVICE_FAULTS = new Set(["INTERNAL", "CONFIG_INVALID", "NOT_READY", "OVERLOADED"]);

describe("error registry", () => {
  it("gives every rejection of client input a 4xx status", () => {
    for (const code of allErrorCodes) {
      const { status } = errorCodes[code];
      if (SERVICE_FAULTS.has(code)) expect(status, code).toBeGreaterThanOrEqual(500);
      else expect([status >= 400, status < 500], code).toEqual([true, true]);
    }
  });

  it("holds the codes the API promises", () => {
    for (const code of [
      "BAD_REQUEST",
      "MALFORMED_JSON",
      "PAYLOAD_TOO_LARGE",
      "VALIDATION_FAILED",
      "BAD_SIGNATURE",
      "WRONG_CHAIN",
      "WRONG_CONTRACT",
      "ORDER_EXPIRED",
      "NONCE_INVALIDATED",
      "ORDER_CANCELLED",
      "DUPLICATE_ORDER",
      "UNKNOWN_MARKET",
      "UNKNOWN_ORDER",
      "TICK_VIOLATION",
      "LOT_VIOLATION",
      "AMOUNT_TOO_LARGE",
      "INSUFFICIENT_BALANCE",
      "PRICE_BAND",
      "RATE_LIMITED",
      "MARKET_HALTED",
      "MARKET_PAUSED",
      "KILL_SWITCH",
      "POST_ONLY_WOULD_CROSS",
      "FOK_UNFILLABLE",
      "FEE_TOO_LOW",
      "UNAUTHORIZED",
      "NOT_FOUND",
      "METHOD_NOT_ALLOWED",
      "UNSUPPORTED_MEDIA_TYPE",
      "INTERNAL",
    ]) {
      expect(isErrorCode(code), code).toBe(true);
    }
    expect(errorCodes.RATE_LIMITED.status).toBe(429);
    expect(errorCodes.PAYLOAD_TOO_LARGE.status).toBe(413);
    expect(isErrorCode("toString")).toBe(false);
  });

  it("uses upper snake case codes with a description each", () => {
    for (const code of allErrorCodes) {
      expect(code).toMatch(/^[A-Z][A-Z0-9_]*$/);
      expect(errorCodes[code].description.length).toBeGreaterThan(10);
    }
  });
});

describe("ClearmatchError", () => {
  it("carries the code, its status, details and cause", () => {
    const cause = new Error("rpc down");
    const error = new ClearmatchError("PRICE_BAND", undefined, { details: { min: "1" }, cause });
    expect(error).toBeInstanceOf(Error);
    expect(isClearmatchError(error)).toBe(true);
    expect(error).toMatchObject({
      name: "ClearmatchError",
      code: "PRICE_BAND",
      status: 422,
      details: { min: "1" },
    });
    expect(error.message).toBe(errorCodes.PRICE_BAND.description);
    expect(error.cause).toBe(cause);
    expect(new ClearmatchError("NOT_FOUND", "custom").message).toBe("custom");
  });
});

describe("docs/api-errors.md", () => {
  it("is rendered from the registry", () => {
    const path = new URL("../../docs/api-errors.md", import.meta.url);
    if (process.env["UPDATE_DOCS"] === "1") writeFileSync(path, renderErrorDoc());
    const doc = readFileSync(path, "utf8");
    expect(doc).toBe(renderErrorDoc());
    for (const code of allErrorCodes)
      expect(doc).toContain(`| \`${code}\` | ${errorCodes[code].status} |`);
  });
});
