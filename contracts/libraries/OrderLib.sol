// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title OrderLib
/// @notice The EIP-712 `Order` and `Cancel` messages traders sign (DESIGN.md, "Signed messages").
/// @dev The type strings here are the single on-chain definition; the sequencer's copy lives in
/// `protocol/src/eip712.ts`, and the shared test vectors prove both hash alike.
library OrderLib {
    /// @notice A trader's signed limit order.
    struct Order {
        address trader; // signer and owner of the funds
        uint32 marketId; // market registered on-chain
        uint8 side; // 0 buy, 1 sell
        uint128 price; // quote atoms per 10^baseDecimals base atoms
        uint128 amount; // base atoms
        uint64 nonce; // invalidated on-chain by `invalidateNonces(minNonce)`
        uint64 expiry; // unix seconds; the order is invalid at and after this time
        uint16 maxFeeBps; // highest fee the trader accepts, in quote, basis points
        uint8 flags; // 1 post-only, 2 immediate-or-cancel, 4 fill-or-kill
    }

    uint8 internal constant SIDE_BUY = 0;
    uint8 internal constant SIDE_SELL = 1;

    uint8 internal constant FLAG_POST_ONLY = 1;
    uint8 internal constant FLAG_IOC = 2;
    uint8 internal constant FLAG_FOK = 4;

    /// @dev keccak256("Order(address trader,uint32 marketId,uint8 side,uint128 price,uint128 amount,uint64 nonce,uint64 expiry,uint16 maxFeeBps,uint8 flags)")
    bytes32 internal constant ORDER_TYPEHASH = keccak256(
        "Order(address trader,uint32 marketId,uint8 side,uint128 price,uint128 amount,uint64 nonce,uint64 expiry,uint16 maxFeeBps,uint8 flags)"
    );

    /// @dev keccak256("Cancel(bytes32 orderHash)")
    bytes32 internal constant CANCEL_TYPEHASH = keccak256("Cancel(bytes32 orderHash)");

    /// @notice EIP-712 struct hash of an order.
    function structHash(Order memory order) internal pure returns (bytes32) {
        return
            keccak256(
                abi.encode(
                    ORDER_TYPEHASH,
                    order.trader,
                    order.marketId,
                    order.side,
                    order.price,
                    order.amount,
                    order.nonce,
                    order.expiry,
                    order.maxFeeBps,
                    order.flags
                )
            );
    }

    /// @notice EIP-712 digest of an order under `domainSeparator`: the order's id (`orderHash`).
    function hash(Order memory order, bytes32 domainSeparator) internal pure returns (bytes32) {
        return toTypedDataHash(domainSeparator, structHash(order));
    }

    /// @notice EIP-712 digest of a `Cancel` message under `domainSeparator`.
    function hashCancel(bytes32 orderHash, bytes32 domainSeparator) internal pure returns (bytes32) {
        return toTypedDataHash(domainSeparator, keccak256(abi.encode(CANCEL_TYPEHASH, orderHash)));
    }

    /// @dev "\x19\x01" ‖ domainSeparator ‖ structHash, as EIP-712 defines the digest.
    function toTypedDataHash(bytes32 domainSeparator, bytes32 structHash_) internal pure returns (bytes32) {
        return keccak256(abi.encodePacked(hex"1901", domainSeparator, structHash_));
    }
}
