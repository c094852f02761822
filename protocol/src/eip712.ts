/**
 * The single TypeScript definition of Clearmatch's EIP-712 messages and of the on-chain
 * settlement structs (DESIGN.md, "Signed messages" and "Fills, batches, deltas").
 *
 * The Solidity twin is `contracts/libraries/OrderLib.sol`; `test/vectors/vectors.json` and
 * `test/vectors.test.ts` prove both sides hash alike.
 */
import type { Address, Hex } from "viem";

/** EIP-712 type string of a trader's order; `keccak256` of it is `OrderLib.ORDER_TYPEHASH`. */
export const ORDER_TYPE_STRING =
  "Order(address trader,uint32 marketId,uint8 side,uint128 price,uint128 amount,uint64 nonce,uint64 expiry,uint16 maxFeeBps,uint8 flags)";

/** EIP-712 type string of an off-chain cancel; `keccak256` of it is `OrderLib.CANCEL_TYPEHASH`. */
export const CANCEL_TYPE_STRING = "Cancel(bytes32 orderHash)";

/** EIP-712 type string of the domain (all four fields present, no salt). */
export const EIP712_DOMAIN_TYPE_STRING =
  "EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)";

/** Domain `name`. */
export const DOMAIN_NAME = "Clearmatch";

/** Domain `version`. */
export const DOMAIN_VERSION = "1";

/** viem `types` for an `Order` message (field order is the type string's). */
export const orderTypes = {
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
} as const;

/** The `Order` fields, in type-string order (what an order object's keys are, in that order). */
export const ORDER_FIELD_NAMES: readonly (keyof Order)[] = orderTypes.Order.map((f) => f.name);

/** viem `types` for a `Cancel` message. */
export const cancelTypes = {
  Cancel: [{ name: "orderHash", type: "bytes32" }],
} as const;

/** The EIP-712 domain every Clearmatch message is signed under. */
export interface ClearmatchDomain {
  /** Always `"Clearmatch"`. */
  readonly name: typeof DOMAIN_NAME;
  /** Always `"1"`. */
  readonly version: typeof DOMAIN_VERSION;
  /** Chain the settlement proxy lives on. */
  readonly chainId: number;
  /** The settlement proxy's address (not the implementation's). */
  readonly verifyingContract: Address;
}

/** Builds the domain for `chainId` and the settlement proxy at `verifyingContract`. */
export function clearmatchDomain(
  chainId: number | bigint,
  verifyingContract: Address,
): ClearmatchDomain {
  return {
    name: DOMAIN_NAME,
    version: DOMAIN_VERSION,
    chainId: Number(chainId),
    verifyingContract,
  };
}

/** Order side, `OrderLib.SIDE_BUY` / `SIDE_SELL`. */
export const Side = { Buy: 0, Sell: 1 } as const;
/** 0 buy, 1 sell. */
export type Side = (typeof Side)[keyof typeof Side];

/** Order flag bits, `OrderLib.FLAG_*`; a market order is IOC with a protective limit price. */
export const OrderFlags = {
  /** Rejected instead of taking liquidity. */
  PostOnly: 1,
  /** Whatever does not fill at once is cancelled. */
  ImmediateOrCancel: 2,
  /** Fills completely at once or not at all. */
  FillOrKill: 4,
} as const;

/** Mirror of `OrderLib.Order`: the message a trader signs. */
export interface Order {
  /** Signer and owner of the funds. */
  trader: Address;
  /** Market registered on-chain (uint32). */
  marketId: number;
  /** 0 buy, 1 sell (uint8). */
  side: number;
  /** Limit price: quote atoms per 10^baseDecimals base atoms (uint128). */
  price: bigint;
  /** Base atoms to trade (uint128). */
  amount: bigint;
  /** Invalidated on-chain by `invalidateNonces(minNonce)` (uint64). */
  nonce: bigint;
  /** Unix seconds; the order is invalid at and after this time (uint64). */
  expiry: bigint;
  /** Highest fee the trader accepts, in quote, basis points (uint16). */
  maxFeeBps: number;
  /** Bit set of `OrderFlags` (uint8). */
  flags: number;
}

/** Mirror of `Cancel`: the message a trader signs to cancel an order off-chain. */
export interface Cancel {
  /** The EIP-712 digest (order id) of the order to cancel. */
  orderHash: Hex;
}

/**
 * What a match decides about a fill: every field of the leaf but its place in a batch and the
 * fill-or-kill flags. The engine's `FillEvent` and the leaf both extend it, so the two cannot
 * drift apart.
 */
export interface FillTerms {
  /** EIP-712 digest of the resting (maker) order. */
  makerOrderHash: Hex;
  /** EIP-712 digest of the incoming (taker) order. */
  takerOrderHash: Hex;
  /** Trader of the maker order. */
  maker: Address;
  /** Trader of the taker order. */
  taker: Address;
  /** Market of both orders (uint32). */
  marketId: number;
  /** Side of the taker order: 0 buy (taker is the buyer), 1 sell (uint8). */
  takerSide: number;
  /** Execution price: the maker's limit price (uint128). */
  price: bigint;
  /** Base atoms exchanged (uint128). */
  baseAmount: bigint;
  /** Quote atoms exchanged: `baseAmount * price / 10^baseDecimals`, exact (uint128). */
  quoteAmount: bigint;
  /** Fee the maker pays, in quote atoms (uint128). */
  makerFee: bigint;
  /** Fee the taker pays, in quote atoms (uint128). */
  takerFee: bigint;
  /** Maker order's cumulative filled base amount after this fill (uint128). */
  makerFilledAfter: bigint;
  /** Taker order's cumulative filled base amount after this fill (uint128). */
  takerFilledAfter: bigint;
}

/**
 * One fill, exactly the fields of its Merkle leaf (DESIGN.md, "Fills, batches, deltas"): in leaf
 * order (`ISettlement.Fill`), `batchId`, `index`, the terms in their order, `takerFok`,
 * `fokRunEnd`. Its leaf hash is `keccak256(keccak256(abi.encode(...fields)))`.
 */
export interface FillLeaf extends FillTerms {
  /** Batch the fill is committed in (uint64). */
  batchId: bigint;
  /** Position of the fill in its batch, from 0 (uint32). */
  index: number;
  /**
   * The taker order is fill-or-kill: its fills in the batch are one contiguous run from 0
   * (checked at commit) whose end must reach the order amount (docs/protocol.md, section 3).
   */
  takerFok: boolean;
  /** The last fill of its FOK run in the batch (set as the contract sets it; false if not FOK). */
  fokRunEnd: boolean;
}

/** Mirror of a batch's net balance change, as `commitBatch` receives it. */
export interface Delta {
  /** Account whose vault balance changes. */
  account: Address;
  /** ERC-20 token of the balance. */
  token: Address;
  /** Signed change in token atoms (int256); zero for a pair the batch's fills net out. */
  delta: bigint;
}

/** The tokens of a market, as registered on-chain. */
export interface MarketTokens {
  /** Token whose atoms `baseAmount` counts. */
  baseToken: Address;
  /** Token whose atoms `price`, `quoteAmount` and fees count. */
  quoteToken: Address;
}
