/**
 * The inputs of the shared test vectors (`scripts/gen-vectors.ts`): the orders they sign. Data
 * only; the generator computes every digest, signature, leaf and root from it with reference code.
 */
import { getAddress, type Address, type Hex } from "viem";

const E18 = 10n ** 18n;
export const MAX_U64 = (1n << 64n) - 1n;
export const MAX_U128 = (1n << 128n) - 1n;

export interface OrderInput {
  name: string;
  signer: number;
  marketId: number;
  side: number;
  price: bigint;
  amount: bigint;
  nonce: bigint;
  expiry: bigint;
  maxFeeBps: number;
  flags: number;
}

/** The orders the vectors sign, by account index of the test mnemonic. */
export const orderInputs: OrderInput[] = [
  {
    name: "sell 2 base at 2500 (maker)",
    signer: 1,
    marketId: 1,
    side: 1,
    price: 2500n * 10n ** 6n,
    amount: 2n * E18,
    nonce: 1n,
    expiry: 1_900_000_000n,
    maxFeeBps: 10,
    flags: 0,
  },
  {
    name: "buy 1.5 base at 2501, IOC (taker)",
    signer: 2,
    marketId: 1,
    side: 0,
    price: 2501n * 10n ** 6n,
    amount: 15n * 10n ** 17n,
    nonce: 1n,
    expiry: 1_900_000_000n,
    maxFeeBps: 30,
    flags: 2,
  },
  {
    name: "buy 1 base at 2499, post-only (maker)",
    signer: 3,
    marketId: 1,
    side: 0,
    price: 2499n * 10n ** 6n,
    amount: E18,
    nonce: 7n,
    expiry: 1_900_000_000n,
    maxFeeBps: 5,
    flags: 1,
  },
  {
    name: "sell 1.2 base at 2498, FOK (taker)",
    signer: 4,
    marketId: 1,
    side: 1,
    price: 2498n * 10n ** 6n,
    amount: 12n * 10n ** 17n,
    nonce: 3n,
    expiry: 1_900_000_000n,
    maxFeeBps: 30,
    flags: 4,
  },
  {
    name: "sell 0.5 base at 2500, same trader as order 0",
    signer: 1,
    marketId: 1,
    side: 1,
    price: 2500n * 10n ** 6n,
    amount: 5n * 10n ** 17n,
    nonce: 2n,
    expiry: 1_900_000_000n,
    maxFeeBps: 10,
    flags: 0,
  },
  {
    name: "all fields at their type maximum",
    signer: 5,
    marketId: 0xffff_ffff,
    side: 1,
    price: MAX_U128,
    amount: MAX_U128,
    nonce: MAX_U64,
    expiry: MAX_U64,
    maxFeeBps: 0xffff,
    flags: 0xff,
  },
  {
    name: "all fields zero",
    signer: 6,
    marketId: 0,
    side: 0,
    price: 0n,
    amount: 0n,
    nonce: 0n,
    expiry: 0n,
    maxFeeBps: 0,
    flags: 0,
  },
  {
    name: "market order: IOC buy with a protective limit, other market",
    signer: 7,
    marketId: 42,
    side: 0,
    price: 123_456_789n,
    amount: 1n,
    nonce: 1n << 63n,
    expiry: 1_700_000_000n,
    maxFeeBps: 100,
    flags: 2,
  },
];

/** Extra leaves outside the batch: every field at its type maximum, and every field zero. */
export function extremeLeaves(taker: Address) {
  return [
    {
      batchId: MAX_U64,
      index: 0xffff_ffff,
      makerOrderHash: `0x${"ff".repeat(32)}` as Hex,
      takerOrderHash: `0x${"ee".repeat(32)}` as Hex,
      maker: getAddress(`0x${"ff".repeat(20)}`),
      taker,
      marketId: 0xffff_ffff,
      takerSide: 1,
      price: MAX_U128,
      baseAmount: MAX_U128,
      quoteAmount: MAX_U128,
      makerFee: MAX_U128,
      takerFee: MAX_U128,
      makerFilledAfter: MAX_U128,
      takerFilledAfter: MAX_U128,
      takerFok: true,
      fokRunEnd: true,
    },
    {
      batchId: 0n,
      index: 0,
      makerOrderHash: `0x${"00".repeat(32)}` as Hex,
      takerOrderHash: `0x${"00".repeat(32)}` as Hex,
      maker: getAddress(`0x${"00".repeat(20)}`),
      taker: getAddress(`0x${"00".repeat(20)}`),
      marketId: 0,
      takerSide: 0,
      price: 0n,
      baseAmount: 0n,
      quoteAmount: 0n,
      makerFee: 0n,
      takerFee: 0n,
      makerFilledAfter: 0n,
      takerFilledAfter: 0n,
      takerFok: false,
      fokRunEnd: false,
    },
  ];
}
