import { describe, expect, it } from "vitest";
import { lowercase } from "../src/crypto/lowercase.js";

describe("lowercase", () => {
  it("equals toLowerCase on hashes, addresses and any other text", () => {
    const cases = [
      "",
      `0x${"ab".repeat(32)}`,
      `0x${"AB".repeat(32)}`,
      "0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
      "0x70997970c51812dc3a010c7d01b50e0d17dc79c8",
      "@[`{", // the characters around A-Z and a-z
      "ÄÖÜ straße",
      "İstanbul",
      "ΣΑΣ",
      "already lower ä",
      "\u0130",
    ];
    for (let c = 0; c < 256; c++) cases.push(String.fromCharCode(c), `x${String.fromCharCode(c)}y`);
    for (const s of cases) expect(lowercase(s), JSON.stringify(s)).toBe(s.toLowerCase());
  });
});
