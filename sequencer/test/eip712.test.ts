import { getAddress, hashTypedData, keccak256, stringToBytes, type Address } from "viem";
import { describe, expect, it } from "vitest";
import {
  CryptoError,
  CANCEL_TYPEHASH,
  ORDER_TYPEHASH,
  OrderHasher,
  hashDomain,
  CANCEL_TYPE_STRING,
  ORDER_TYPE_STRING,
  cancelTypes,
  clearmatchDomain,
  orderTypes,
  type Order,
} from "@clearmatch/protocol";
import { SeededRandom } from "./support/seeded-random.js";
import { randomOrder } from "./support/random-orders.js";
import { vectors } from "./support/shared-vectors.js";

const domain = clearmatchDomain(vectors.domain.chainId, vectors.domain.verifyingContract);
const hasher = new OrderHasher(domain);

/** A random order whose trader is written checksummed or in lower case, at random. */
function randomOrderAnyCase(rng: SeededRandom): Order {
  const trader = rng.address();
  return randomOrder(rng, rng.below(2) ? getAddress(trader) : trader);
}

function expectCryptoError(fn: () => unknown, code: string, reason: string): void {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(CryptoError);
    expect((error as CryptoError).code).toBe(code);
    expect((error as CryptoError).reason).toBe(reason);
    return;
  }
  expect.fail(`expected ${code}/${reason}`);
}

describe("EIP-712 types", () => {
  it("derives the type strings from the viem type arrays", () => {
    const typeString = (name: string, fields: readonly { name: string; type: string }[]) =>
      `${name}(${fields.map((f) => `${f.type} ${f.name}`).join(",")})`;
    expect(typeString("Order", orderTypes.Order)).toBe(ORDER_TYPE_STRING);
    expect(typeString("Cancel", cancelTypes.Cancel)).toBe(CANCEL_TYPE_STRING);
  });

  it("shares the type strings and type hashes with the vectors (and so with OrderLib)", () => {
    expect(ORDER_TYPE_STRING).toBe(vectors.typeStrings.order);
    expect(CANCEL_TYPE_STRING).toBe(vectors.typeStrings.cancel);
    expect(ORDER_TYPEHASH).toBe(vectors.typeHashes.order);
    expect(CANCEL_TYPEHASH).toBe(vectors.typeHashes.cancel);
    expect(keccak256(stringToBytes(ORDER_TYPE_STRING))).toBe(vectors.typeHashes.order);
  });

  it("computes the vectors' domain separator", () => {
    expect(hashDomain(domain)).toBe(vectors.domainSeparator);
    expect(hasher.domainSeparator).toBe(vectors.domainSeparator);
  });
});

describe("OrderHasher", () => {
  it("hashes every vector order to its digest and its cancel to the cancel digest", () => {
    for (const v of vectors.orders) {
      expect(hasher.hashOrder(v.order), v.name).toBe(v.digest);
      expect(hasher.hashCancel(v.digest), v.name).toBe(v.cancelDigest);
    }
  });

  it("equals viem's hashTypedData on 1,000 random orders and cancels", () => {
    const rng = new SeededRandom(0xc1ea);
    for (let i = 0; i < 1_000; i++) {
      const order = randomOrderAnyCase(rng);
      const expected = hashTypedData({
        domain,
        types: orderTypes,
        primaryType: "Order",
        message: order,
      });
      expect(hasher.hashOrder(order), `seed ${rng.seed}, order ${i}`).toBe(expected);
      const cancel = hashTypedData({
        domain,
        types: cancelTypes,
        primaryType: "Cancel",
        message: { orderHash: expected },
      });
      expect(hasher.hashCancel(expected)).toBe(cancel);
    }
  });

  it("equals viem under random domains", () => {
    const rng = new SeededRandom(7);
    for (let i = 0; i < 50; i++) {
      const d = clearmatchDomain(rng.u32(), getAddress(rng.address()));
      const order = randomOrderAnyCase(rng);
      expect(new OrderHasher(d).hashOrder(order)).toBe(
        hashTypedData({ domain: d, types: orderTypes, primaryType: "Order", message: order }),
      );
    }
  });

  it("gives an order signed for another chain or contract another digest", () => {
    const order = vectors.orders[0]!.order;
    const otherChain = new OrderHasher(clearmatchDomain(137, domain.verifyingContract));
    const otherContract = new OrderHasher(
      clearmatchDomain(domain.chainId, "0x0000000000000000000000000000000000000001" as Address),
    );
    expect(otherChain.hashOrder(order)).not.toBe(vectors.orders[0]!.digest);
    expect(otherContract.hashOrder(order)).not.toBe(vectors.orders[0]!.digest);
  });

  it("returns the digest bytes of the hex digest", () => {
    const v = vectors.orders[1]!;
    expect(Buffer.from(hasher.orderDigest(v.order)).toString("hex")).toBe(v.digest.slice(2));
  });

  it("does not leak one order's fields into the next (buffer reuse)", () => {
    const big = vectors.orders.find((v) => v.order.price === (1n << 128n) - 1n)!;
    const zero = vectors.orders.find((v) => v.order.price === 0n && v.order.nonce === 0n)!;
    hasher.hashOrder(big.order);
    expect(hasher.hashOrder(zero.order)).toBe(zero.digest);
  });

  it.each([
    ["price above uint128", { price: 1n << 128n }],
    ["negative amount", { amount: -1n }],
    ["nonce above uint64", { nonce: 1n << 64n }],
    ["expiry given as a number", { expiry: 5 as unknown as bigint }],
    ["marketId above uint32", { marketId: 2 ** 32 }],
    ["fractional side", { side: 0.5 }],
    ["maxFeeBps above uint16", { maxFeeBps: 65_536 }],
    ["flags above uint8", { flags: 256 }],
    ["short trader", { trader: "0x1234" as Address }],
    ["non-hex trader", { trader: `0x${"zz".repeat(20)}` as Address }],
  ])("rejects an order with %s as VALIDATION_FAILED", (_, patch) => {
    const order = { ...vectors.orders[0]!.order, ...patch };
    expectCryptoError(() => hasher.hashOrder(order), "VALIDATION_FAILED", "FIELD_OUT_OF_RANGE");
  });

  it("rejects a malformed cancel order hash", () => {
    expectCryptoError(() => hasher.hashCancel("0x12"), "VALIDATION_FAILED", "FIELD_OUT_OF_RANGE");
  });
});
