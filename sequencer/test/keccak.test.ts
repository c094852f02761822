import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { keccak256Bytes, keccak256Noble, keccakBackend } from "../src/crypto/keccak.js";

describe("keccak256Bytes", () => {
  it("uses js-sha3 on this machine", () => {
    expect(keccakBackend).toBe("js-sha3");
  });

  it("equals @noble/hashes on every length around the 136-byte rate and on random inputs", () => {
    for (let length = 0; length <= 420; length++) {
      const data = randomBytes(length);
      expect(keccak256Bytes(data)).toEqual(keccak256Noble(data));
    }
  });

  it("hashes the empty input to keccak256's known value", () => {
    expect(Buffer.from(keccak256Bytes(new Uint8Array())).toString("hex")).toBe(
      "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470",
    );
  });
});
