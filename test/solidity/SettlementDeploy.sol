// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ERC1967Proxy} from "@openzeppelin/contracts/proxy/ERC1967/ERC1967Proxy.sol";
import {ISettlement} from "../../contracts/interfaces/ISettlement.sol";
import {Settlement} from "../../contracts/Settlement.sol";

/// @dev How the Solidity tests stand up a Settlement: a fresh implementation behind an
/// ERC1967Proxy initialized with the parameters given, and the parameters most of them use.
library SettlementDeploy {
    function proxy(ISettlement.InitParams memory p) internal returns (ISettlement) {
        Settlement implementation = new Settlement();
        return
            ISettlement(
                address(new ERC1967Proxy(address(implementation), abi.encodeCall(Settlement.initialize, (p))))
            );
    }

    /// @dev `admin` in every role, windows of 1 h (challenge), 30 min (response), 20 min
    /// (dispute) and 2 h (withdrawal, above their sum), and a cancel grace of 1 block.
    function params(
        address admin,
        address feeRecipient,
        uint128 disputeBond
    ) internal pure returns (ISettlement.InitParams memory) {
        return
            ISettlement.InitParams({
                timelock: admin,
                guardian: admin,
                arbiter: admin,
                sequencer: admin,
                feeRecipient: feeRecipient,
                challengeWindow: 1 hours,
                challengeResponseWindow: 30 minutes,
                withdrawalDelay: 2 hours,
                disputeTimeout: 20 minutes,
                disputeBond: disputeBond,
                cancelGraceBlocks: 1
            });
    }
}
