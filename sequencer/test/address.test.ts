import { getAddress, isAddress, toHex } from "viem";
import { describe, expect, it } from "vitest";
import { checksumAddress, parseAddressStrict } from "@clearmatch/protocol";
import { SeededRandom } from "./support/seeded-random.js";

/** Case variants of an address: lower, upper, checksummed, one letter's case flipped. */
function variants(rng: SeededRandom, address: string): string[] {
  const body = address.slice(2);
  const checksummed = getAddress(address);
  const letters = [...body].flatMap((c, i) => (/[a-f]/i.test(c) ? [i] : []));
  const out = [`0x${body.toLowerCase()}`, `0x${body.toUpperCase()}`, `0X${body}`, checksummed];
  if (letters.length > 0) {
    const i = 2 + letters[rng.below(letters.length)]!;
    const c = checksummed[i]!;
    const flipped = c === c.toLowerCase() ? c.toUpperCase() : c.toLowerCase();
    out.push(checksummed.slice(0, i) + flipped + checksummed.slice(i + 1));
  }
  return out;
}

describe("address checksums", () => {
  const rng = new SeededRandom(0xadd7);
  const addresses = Array.from({ length: 300 }, () => toHex(rng.bytes(20)));

  it("checksumAddress equals viem's getAddress in every case variant", () => {
    for (const a of addresses) {
      for (const v of variants(rng, a).filter((x) => x.startsWith("0x"))) {
        expect(checksumAddress(v)).toBe(getAddress(a));
      }
    }
  });

  it("parseAddressStrict accepts exactly what isAddress(strict) accepts, as getAddress", () => {
    const malformed = ["", "0x", "0x1234", `0x${"g".repeat(40)}`, `${"a".repeat(42)}`, 42, null];
    for (const v of [...addresses.flatMap((a) => variants(rng, a)), ...malformed]) {
      const viem =
        typeof v === "string" && isAddress(v, { strict: true }) ? getAddress(v) : undefined;
      expect(parseAddressStrict(v), String(v)).toBe(viem);
    }
  });

  it("checksumAddress refuses what is not an address", () => {
    expect(() => checksumAddress("0x1234")).toThrow(TypeError);
    expect(() => checksumAddress(`0x${"z".repeat(40)}`)).toThrow(TypeError);
  });
});
