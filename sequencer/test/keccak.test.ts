import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import {
  keccak256Bytes,
  keccak256JsSha3,
  keccak256Native,
  keccak256Noble,
  keccakBackend,
} from "../src/crypto/keccak.js";

describe("keccak256Bytes", () => {
  it("uses the native addon on this machine, with js-sha3 loaded as its fallback", () => {
    expect(keccakBackend).toBe("native");
    expect(keccak256JsSha3).toBeDefined();
  });

  it("native, js-sha3 and @noble/hashes agree on every length around the 136-byte rate", () => {
    for (let length = 0; length <= 420; length++) {
      const data = randomBytes(length);
      const noble = Buffer.from(keccak256Noble(data)).toString("hex");
      expect(Buffer.from(keccak256Native!(data)).toString("hex")).toBe(noble);
      expect(Buffer.from(keccak256JsSha3!(data)).toString("hex")).toBe(noble);
      expect(Buffer.from(keccak256Bytes(data)).toString("hex")).toBe(noble);
    }
  });

  it("hashes views into larger buffers by their own bytes, and returns independent results", () => {
    const big = randomBytes(1000);
    const view = new Uint8Array(big.buffer, big.byteOffset + 17, 300);
    const a = keccak256Bytes(view);
    const b = keccak256Bytes(big.subarray(500, 564));
    expect(Buffer.from(a).toString("hex")).toBe(Buffer.from(keccak256Noble(view)).toString("hex"));
    expect(Buffer.from(b).toString("hex")).toBe(
      Buffer.from(keccak256Noble(big.subarray(500, 564))).toString("hex"),
    );
    expect(a.length).toBe(32);
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(false);
  });

  it("hashes the empty input to keccak256's known value", () => {
    expect(Buffer.from(keccak256Bytes(new Uint8Array())).toString("hex")).toBe(
      "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470",
    );
  });
});
