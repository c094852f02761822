/**
 * `ISettlement.sol` documents every error and event it declares (a NatSpec `///` comment right
 * above each): integrators and explorers read them there, and the README says they are documented.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";

describe("ISettlement NatSpec", () => {
  it("documents every error and event", () => {
    const lines = readFileSync("contracts/interfaces/ISettlement.sol", "utf8").split("\n");
    const declared: string[] = [];
    const undocumented: string[] = [];
    lines.forEach((line, i) => {
      const m = /^\s*(error|event)\s+(\w+)/.exec(line);
      if (!m) return;
      declared.push(m[2]!);
      if (!lines[i - 1]?.trim().startsWith("///")) undocumented.push(`${m[1]} ${m[2]}`);
    });
    assert.ok(declared.length >= 60, `found only ${declared.length} declarations`);
    assert.deepEqual(undocumented, []);
  });
});
