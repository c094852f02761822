import {
  bytesToHex,
  getAddress,
  hexToBytes,
  parseSignature,
  serializeSignature,
  toHex,
  type Hex,
} from "viem";
import { privateKeyToAccount, sign } from "viem/accounts";
import { describe, expect, it } from "vitest";
import { CryptoError, OrderHasher, clearmatchDomain } from "@clearmatch/protocol";
import {
  defaultSecp256k1Backend,
  nativeSecp256k1Available,
  recoverAddress,
  recoverPublicKey,
  type Secp256k1Backend,
} from "../src/crypto/recover.js";
import { SeededRandom } from "./support/seeded-random.js";
import { randomOrder, signAndRecover } from "./support/random-orders.js";
import { vectors } from "./support/shared-vectors.js";

const domain = clearmatchDomain(vectors.domain.chainId, vectors.domain.verifyingContract);
const hasher = new OrderHasher(domain);
const N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;

/** Both backends where the addon loaded; the JS one alone elsewhere. */
const backends: Secp256k1Backend[] = nativeSecp256k1Available ? ["native", "js"] : ["js"];

function expectBadSignature(fn: () => unknown, reason: string): void {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(CryptoError);
    expect((error as CryptoError).code).toBe("BAD_SIGNATURE");
    expect((error as CryptoError).reason).toBe(reason);
    return;
  }
  expect.fail(`expected BAD_SIGNATURE/${reason}`);
}

describe("secp256k1 backend", () => {
  it("uses the native addon by default where a prebuild exists", () => {
    if (process.platform === "linux" && process.arch === "x64") {
      expect(nativeSecp256k1Available).toBe(true);
      expect(defaultSecp256k1Backend).toBe("native");
    } else {
      expect(defaultSecp256k1Backend).toBe(nativeSecp256k1Available ? "native" : "js");
    }
  });
});

describe.each(backends)("recoverAddress (%s)", (backend) => {
  it("recovers every vector order's and cancel's signer", () => {
    for (const v of vectors.orders) {
      expect(recoverAddress(hasher.orderDigest(v.order), v.signature, backend), v.name).toBe(
        v.signer,
      );
      expect(recoverAddress(v.cancelDigest, v.cancelSignature, backend), v.name).toBe(v.signer);
    }
  });

  it("rejects each vector's malformed or malleable signature with its reason", () => {
    for (const v of vectors.invalidSignatures) {
      expect(v.code).toBe("BAD_SIGNATURE");
      expectBadSignature(() => recoverAddress(v.digest, v.signature, backend), v.reason);
    }
  });

  it("refuses v as 0/1, which the contract refuses, and takes bytes as well as hex", () => {
    for (const v of vectors.orders) {
      const bytes = hexToBytes(v.signature);
      expect(recoverAddress(v.digest, bytes, backend)).toBe(v.signer);
      bytes[64] = bytes[64]! - 27;
      expectBadSignature(() => recoverAddress(v.digest, bytes, backend), "SIGNATURE_V");
      expectBadSignature(() => recoverAddress(v.digest, bytesToHex(bytes), backend), "SIGNATURE_V");
    }
  });

  it("rejects the high-s twin of every vector signature, though it verifies mathematically", () => {
    for (const v of vectors.orders) {
      const { r, s, yParity } = parseSignature(v.signature);
      const twin = serializeSignature({
        r,
        s: toHex(N - BigInt(s), { size: 32 }),
        yParity: 1 - yParity!,
      });
      expectBadSignature(() => recoverAddress(v.digest, twin, backend), "SIGNATURE_HIGH_S");
    }
  });

  it("recovers someone else for a signature over another digest", () => {
    const [a, b] = vectors.orders;
    expect(recoverAddress(b!.digest, a!.signature, backend)).not.toBe(a!.signer);
  });

  it("rejects wrong-length inputs", () => {
    const v = vectors.orders[0]!;
    expectBadSignature(
      () => recoverAddress(v.digest, new Uint8Array(64), backend),
      "SIGNATURE_LENGTH",
    );
    expectBadSignature(() => recoverAddress(v.digest, "0x", backend), "SIGNATURE_LENGTH");
    expectBadSignature(
      () => recoverAddress(v.digest, v.signature.slice(2) as Hex, backend),
      "SIGNATURE_LENGTH",
    );
    expect(() => recoverAddress(new Uint8Array(31), v.signature, backend)).toThrow(CryptoError);
  });

  it("rejects an r that is no curve point's x coordinate as unrecoverable", () => {
    // x = 5 is not on secp256k1 (5^3 + 7 = 132 is not a square mod p), so nothing recovers.
    const v = vectors.orders[0]!;
    const sig = `${toHex(5n, { size: 32 })}${v.signature.slice(66)}` as Hex;
    expectBadSignature(() => recoverAddress(v.digest, sig, backend), "SIGNATURE_UNRECOVERABLE");
  });
});

describe("recoverAddress on random keys and orders", () => {
  it("equals viem's recoverTypedDataAddress on both backends (200 seeded cases)", async () => {
    const rng = new SeededRandom(0x5eed);
    for (let i = 0; i < 200; i++) {
      let key = 0n;
      while (key === 0n || key >= N) key = BigInt(rng.hex(32));
      const privateKey = toHex(key, { size: 32 });
      const account = privateKeyToAccount(privateKey);
      const order = randomOrder(rng, account.address);
      const { signature, signer: expected } = await signAndRecover(account, domain, order);
      expect(expected).toBe(account.address);
      const digest = hasher.orderDigest(order);
      for (const backend of backends)
        expect(recoverAddress(digest, signature, backend), `seed ${rng.seed} case ${i}`).toBe(
          expected,
        );
    }
  });

  it("returns the same public key from both backends", async () => {
    const rng = new SeededRandom(99);
    for (let i = 0; i < 50; i++) {
      const hash = rng.hex(32);
      const signature = await sign({
        hash,
        privateKey: toHex(1n + BigInt(rng.u32()), { size: 32 }),
        to: "hex",
      });
      const keys = backends.map((b) => bytesToHex(recoverPublicKey(hash, signature, b)));
      expect(new Set(keys).size).toBe(1);
      expect(keys[0]!.length).toBe(2 + 130);
    }
  });

  it("checksums recovered addresses as EIP-55 does", () => {
    for (const v of vectors.orders)
      expect(recoverAddress(v.digest, v.signature)).toBe(getAddress(v.signer));
  });
});
