/**
 * Generates `test/vectors/vectors.json`: the shared test vectors the contract tests
 * (`test/vectors.test.ts`) and the sequencer tests (`sequencer/test/*.test.ts`) both check.
 *
 * Only reference implementations are used here (viem's `hashTypedData`, `signTypedData`,
 * `recoverTypedDataAddress`, `encodeAbiParameters`, OpenZeppelin's `StandardMerkleTree`, and a
 * deliberately naive delta netting), never the sequencer's fast code, so the vectors are
 * independent of what they test. The output is deterministic: run
 * `npx tsx scripts/gen-vectors.ts` and commit the result; CI checks nothing drifts.
 */
import { writeFileSync } from "node:fs";
import { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import { format } from "prettier";
import {
  concat,
  domainSeparator,
  encodeAbiParameters,
  encodePacked,
  getAddress,
  hashTypedData,
  keccak256,
  parseSignature,
  recoverTypedDataAddress,
  serializeSignature,
  stringToBytes,
  toHex,
  type Address,
  type Hex,
} from "viem";
import { mnemonicToAccount } from "viem/accounts";
import { extremeLeaves, orderInputs, type OrderInput } from "./lib/vector-inputs.js";

const OUT = new URL("../test/vectors/vectors.json", import.meta.url);

/** Hardhat's default accounts: this mnemonic, path m/44'/60'/0'/0/i. Public test keys. */
const MNEMONIC = "test test test test test test test test test test test junk";
const accounts = Array.from({ length: 10 }, (_, i) =>
  mnemonicToAccount(MNEMONIC, { addressIndex: i }),
);

const ORDER_TYPE =
  "Order(address trader,uint32 marketId,uint8 side,uint128 price,uint128 amount,uint64 nonce,uint64 expiry,uint16 maxFeeBps,uint8 flags)";
const CANCEL_TYPE = "Cancel(bytes32 orderHash)";
const types = {
  Order: [
    { name: "trader", type: "address" },
    { name: "marketId", type: "uint32" },
    { name: "side", type: "uint8" },
    { name: "price", type: "uint128" },
    { name: "amount", type: "uint128" },
    { name: "nonce", type: "uint64" },
    { name: "expiry", type: "uint64" },
    { name: "maxFeeBps", type: "uint16" },
    { name: "flags", type: "uint8" },
  ],
  Cancel: [{ name: "orderHash", type: "bytes32" }],
} as const;

const domain = {
  name: "Clearmatch",
  version: "1",
  chainId: 31337,
  verifyingContract: getAddress("0x00000000000000000000000000000000c1ea4a7c"),
} as const;

const E18 = 10n ** 18n;
/** secp256k1 group order. */
const N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;

interface OrderVector {
  name: string;
  accountIndex: number;
  order: Omit<OrderInput, "name" | "signer"> & { trader: Address };
  digest: Hex;
  signature: Hex;
  signer: Address;
  cancelDigest: Hex;
  cancelSignature: Hex;
}

const orders: OrderVector[] = [];
for (const input of orderInputs) {
  const account = accounts[input.signer]!;
  const message = {
    trader: account.address,
    marketId: input.marketId,
    side: input.side,
    price: input.price,
    amount: input.amount,
    nonce: input.nonce,
    expiry: input.expiry,
    maxFeeBps: input.maxFeeBps,
    flags: input.flags,
  };
  const digest = hashTypedData({ domain, types, primaryType: "Order", message });
  const signature = await account.signTypedData({ domain, types, primaryType: "Order", message });
  const signer = await recoverTypedDataAddress({
    domain,
    types,
    primaryType: "Order",
    message,
    signature,
  });
  if (signer !== account.address) throw new Error("viem recovered the wrong signer");
  const cancelDigest = hashTypedData({
    domain,
    types,
    primaryType: "Cancel",
    message: { orderHash: digest },
  });
  const cancelSignature = await account.signTypedData({
    domain,
    types,
    primaryType: "Cancel",
    message: { orderHash: digest },
  });
  orders.push({
    name: input.name,
    accountIndex: input.signer,
    order: message,
    digest,
    signature,
    signer,
    cancelDigest,
    cancelSignature,
  });
}

/** Malformed or malleable signatures over order 0's digest, with the code and reason they must raise. */
const valid = parseSignature(orders[0]!.signature);
const s = BigInt(valid.s);
const word = (x: bigint) => toHex(x, { size: 32 });
const invalidSignatures = [
  {
    name: "high-s twin of a valid signature (EIP-2)",
    reason: "SIGNATURE_HIGH_S",
    signature: serializeSignature({ r: valid.r, s: word(N - s), yParity: 1 - valid.yParity! }),
  },
  // The contract (OpenZeppelin ECDSA) refuses v = 0 and 1: a trader who signed so could challenge
  // its own fill and the answer would fail on-chain (finding 6), so the sequencer refuses them too.
  { name: "v = 0", reason: "SIGNATURE_V", signature: `${orders[0]!.signature.slice(0, 130)}00` },
  { name: "v = 1", reason: "SIGNATURE_V", signature: `${orders[0]!.signature.slice(0, 130)}01` },
  { name: "v = 29", reason: "SIGNATURE_V", signature: `${orders[0]!.signature.slice(0, 130)}1d` },
  {
    name: "v = 37 (EIP-155 style)",
    reason: "SIGNATURE_V",
    signature: `${orders[0]!.signature.slice(0, 130)}25`,
  },
  {
    name: "64 bytes (EIP-2098 compact is not accepted)",
    reason: "SIGNATURE_LENGTH",
    signature: orders[0]!.signature.slice(0, 130),
  },
  { name: "66 bytes", reason: "SIGNATURE_LENGTH", signature: `${orders[0]!.signature}00` },
  { name: "not hex", reason: "SIGNATURE_LENGTH", signature: `0x${"zz".repeat(65)}` },
  {
    name: "r = 0",
    reason: "SIGNATURE_R_S_RANGE",
    signature: `0x${"00".repeat(32)}${valid.s.slice(2)}1b`,
  },
  { name: "s = 0", reason: "SIGNATURE_R_S_RANGE", signature: `${valid.r}${"00".repeat(32)}1b` },
  { name: "r = n", reason: "SIGNATURE_R_S_RANGE", signature: `${word(N)}${valid.s.slice(2)}1b` },
].map((v) => ({ ...v, code: "BAD_SIGNATURE", digest: orders[0]!.digest }));

/** Market 1: base 18 decimals, price in quote atoms (6 decimals) per whole base unit. */
const market = {
  marketId: 1,
  baseToken: getAddress("0x5fbdb2315678afecb367f032d93f642f64180aa3"),
  quoteToken: getAddress("0xe7f1725e7734ce288f8367e1bb143e90bb3f0512"),
  baseDecimals: 18,
  // Steps of the v2 commit's packed fills (price in ticks, amounts in lots): lot * tick = 10^18.
  tickSize: 10_000n,
  lotSize: 10n ** 14n,
};
const feeRecipient = accounts[9]!.address;
const quoteOf = (base: bigint, price: bigint) => (base * price) / E18;
const feeOf = (quote: bigint, bps: bigint) => (quote * bps) / 10_000n;

/** A batch (id 7) of fills between the orders above, with cumulative fills tracked. */
const o = (i: number) => orders[i]!;
const filled = new Map<Hex, bigint>();
const batchId = 7n;
const fillSpecs: [
  maker: number,
  taker: number,
  base: bigint,
  makerBps: bigint,
  takerBps: bigint,
][] = [
  [0, 1, E18, 2n, 25n], // taker buys 1 from order 0
  [4, 1, 5n * 10n ** 17n, 0n, 25n], // taker buys 0.5 more from order 4 (same seller)
  [2, 3, E18, 5n, 30n], // taker sells 1 into order 2 (post-only buy)
];

const fills = fillSpecs.map(([maker, taker, base, makerBps, takerBps], index) => {
  const makerOrder = o(maker).order;
  const takerOrder = o(taker).order;
  const price = makerOrder.price;
  const quoteAmount = quoteOf(base, price);
  const makerFilledAfter = (filled.get(o(maker).digest) ?? 0n) + base;
  const takerFilledAfter = (filled.get(o(taker).digest) ?? 0n) + base;
  filled.set(o(maker).digest, makerFilledAfter);
  filled.set(o(taker).digest, takerFilledAfter);
  return {
    batchId,
    index,
    makerOrderHash: o(maker).digest,
    takerOrderHash: o(taker).digest,
    maker: makerOrder.trader,
    taker: takerOrder.trader,
    marketId: makerOrder.marketId,
    takerSide: takerOrder.side,
    price,
    baseAmount: base,
    quoteAmount,
    makerFee: feeOf(quoteAmount, makerBps),
    takerFee: feeOf(quoteAmount, takerBps),
    makerFilledAfter,
    takerFilledAfter,
    takerFok: (takerOrder.flags & 4) !== 0,
    fokRunEnd: false,
  };
});
// The end of each FOK run in batch order, as the contract marks it at commit.
for (const [i, f] of fills.entries())
  f.fokRunEnd = f.takerFok && fills[i + 1]?.takerOrderHash !== f.takerOrderHash;

type Fill = (typeof fills)[number];
const LEAF_ENCODING = [
  "uint64",
  "uint32",
  "bytes32",
  "bytes32",
  "address",
  "address",
  "uint32",
  "uint8",
  "uint128",
  "uint128",
  "uint128",
  "uint128",
  "uint128",
  "uint128",
  "uint128",
  "bool",
  "bool",
];
const tuple = (f: Fill) =>
  [
    f.batchId,
    f.index,
    f.makerOrderHash,
    f.takerOrderHash,
    f.maker,
    f.taker,
    f.marketId,
    f.takerSide,
    f.price,
    f.baseAmount,
    f.quoteAmount,
    f.makerFee,
    f.takerFee,
    f.makerFilledAfter,
    f.takerFilledAfter,
    f.takerFok,
    f.fokRunEnd,
  ] as const;
const leafHash = (f: Fill) =>
  keccak256(
    keccak256(
      encodeAbiParameters(
        LEAF_ENCODING.map((type) => ({ type })),
        [...tuple(f)],
      ),
    ),
  );

/** Extra leaves outside the batch: every field at its type maximum, and every field zero. */
const extremeFills: Fill[] = extremeLeaves(accounts[8]!.address);

// Leaves in batch order, as the contract rebuilds the root at commit (docs/protocol.md, section 3).
const tree = StandardMerkleTree.of(
  fills.map((f) => [...tuple(f)]),
  LEAF_ENCODING,
  { sortLeaves: false },
);
const batch = {
  batchId,
  fillIndices: fills.map((_, i) => i),
  root: tree.root as Hex,
  proofs: fills.map((_, i) => tree.getProof(i) as Hex[]),
};
for (const [i, f] of fills.entries())
  if (tree.leafHash([...tuple(f)]) !== leafHash(f))
    throw new Error(`leaf ${i}: OZ and viem disagree`);

/** Naive netting: every movement listed, grouped, sorted numerically by (account, token). */
const movements: [Address, Address, bigint][] = [];
for (const f of fills) {
  const [buyer, buyerFee, seller, sellerFee] =
    f.takerSide === 0
      ? [f.taker, f.takerFee, f.maker, f.makerFee]
      : [f.maker, f.makerFee, f.taker, f.takerFee];
  movements.push([buyer, market.baseToken, f.baseAmount]);
  movements.push([buyer, market.quoteToken, -f.quoteAmount - buyerFee]);
  movements.push([seller, market.baseToken, -f.baseAmount]);
  movements.push([seller, market.quoteToken, f.quoteAmount - sellerFee]);
  movements.push([feeRecipient, market.quoteToken, f.makerFee + f.takerFee]);
}
const net = new Map<string, [Address, Address, bigint]>();
for (const [account, token, amount] of movements) {
  const key = `${BigInt(account)}:${BigInt(token)}`;
  const prev = net.get(key);
  net.set(key, [account, token, (prev?.[2] ?? 0n) + amount]);
}
// Every pair a fill touches keeps its delta, zero included: the v2 commit points each fill at its
// five deltas (docs/protocol.md, section 3).
const deltas = [...net.values()]
  .sort(([a1, t1], [a2, t2]) => {
    const [x, y] = BigInt(a1) === BigInt(a2) ? [BigInt(t1), BigInt(t2)] : [BigInt(a1), BigInt(a2)];
    return x < y ? -1 : x > y ? 1 : 0;
  })
  .map(([account, token, delta]) => ({ account, token, delta }));
for (const token of [market.baseToken, market.quoteToken])
  if (deltas.filter((d) => d.token === token).reduce((acc, d) => acc + d.delta, 0n) !== 0n)
    throw new Error("deltas do not sum to zero");

/** The v2 commit's packed fills (docs/protocol.md, section 3), by viem's encodePacked. */
const deltaAt = (account: Address, token: Address) =>
  deltas.findIndex(
    (d) => BigInt(d.account) === BigInt(account) && BigInt(d.token) === BigInt(token),
  );
const commitFills = concat(
  fills.map((f) =>
    encodePacked(
      [
        "bytes32",
        "bytes32",
        "uint32",
        "uint8",
        "uint64",
        "uint64",
        "uint128",
        "uint128",
        "uint64",
        "uint64",
        "uint16",
        "uint16",
        "uint16",
        "uint16",
        "uint16",
      ],
      [
        f.makerOrderHash,
        f.takerOrderHash,
        f.marketId,
        f.takerSide | (f.takerFok ? 2 : 0),
        f.price / market.tickSize,
        f.baseAmount / market.lotSize,
        f.makerFee,
        f.takerFee,
        f.makerFilledAfter / market.lotSize,
        f.takerFilledAfter / market.lotSize,
        deltaAt(f.maker, market.baseToken),
        deltaAt(f.maker, market.quoteToken),
        deltaAt(f.taker, market.baseToken),
        deltaAt(f.taker, market.quoteToken),
        deltaAt(feeRecipient, market.quoteToken),
      ],
    ),
  ),
);

const vectors = {
  description:
    "Clearmatch shared test vectors (DESIGN.md). Generated by scripts/gen-vectors.ts from viem and @openzeppelin/merkle-tree reference code. Integers are decimal strings.",
  mnemonic: MNEMONIC,
  domain,
  domainSeparator: domainSeparator({ domain }),
  typeHashes: {
    order: keccak256(stringToBytes(ORDER_TYPE)),
    cancel: keccak256(stringToBytes(CANCEL_TYPE)),
  },
  typeStrings: { order: ORDER_TYPE, cancel: CANCEL_TYPE },
  orders,
  invalidSignatures,
  market,
  feeRecipient,
  leafEncoding: LEAF_ENCODING,
  fills: [...fills, ...extremeFills].map((fill) => ({ fill, leafHash: leafHash(fill) })),
  batch: { ...batch, commitFills },
  deltas,
};

const json = JSON.stringify(vectors, (_, v: unknown) => (typeof v === "bigint" ? v.toString() : v));
// Formatted as `npm run lint` wants it, so regenerating leaves an unchanged file.
writeFileSync(OUT, await format(json, { parser: "json", printWidth: 100 }));
console.log(`wrote ${OUT.pathname}`);
