// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {SettlementChallenges} from "./SettlementChallenges.sol";
import {SettlementDisputes} from "./SettlementDisputes.sol";
import {SettlementGovernance} from "./SettlementGovernance.sol";
import {SettlementProofs} from "./SettlementProofs.sol";

/// @title SettlementExtension
/// @notice The rarely called half of `ISettlement` (fraud proofs, challenges, disputes, governance),
/// which `Settlement` runs by DELEGATECALL so that both halves fit the EIP-170 code size limit.
/// @dev Deployed by `Settlement`'s constructor, so an implementation and its extension always
/// come (and get upgraded) together. It has no state of its own: under DELEGATECALL it works on
/// the proxy's ERC-7201 namespace. Called directly it sees an empty namespace (no roles, no
/// batches), so every function either reverts or changes nothing that anyone relies on.
contract SettlementExtension is
    SettlementProofs,
    SettlementChallenges,
    SettlementDisputes,
    SettlementGovernance
{}
