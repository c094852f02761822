// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Test} from "forge-std/Test.sol";
import {OrderLib} from "../../contracts/libraries/OrderLib.sol";

contract OrderLibTest is Test {
    function test_typehash_matchesTypeString() public pure {
        assertEq(
            OrderLib.ORDER_TYPEHASH,
            keccak256(
                "Order(address trader,uint32 marketId,uint8 side,uint128 price,uint128 amount,uint64 nonce,uint64 expiry,uint16 maxFeeBps,uint8 flags)"
            )
        );
    }

    function testFuzz_hash_dependsOnEveryField(
        OrderLib.Order memory order,
        bytes32 domain,
        uint128 bump
    ) public pure {
        vm.assume(bump != 0);
        bytes32 original = OrderLib.hash(order, domain);
        unchecked {
            order.amount += bump; // wrap is fine: any different value must change the hash
        }
        assertTrue(OrderLib.hash(order, domain) != original);
    }
}
