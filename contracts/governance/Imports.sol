// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

// Hardhat compiles only what `contracts/` reaches. These imports give the Ignition modules
// (ignition/modules/) artifacts for the governance timelock and the settlement proxy, so a
// production deployment does not depend on anything under contracts/test/.
import {TimelockController} from "@openzeppelin/contracts/governance/TimelockController.sol";
import {ERC1967Proxy} from "@openzeppelin/contracts/proxy/ERC1967/ERC1967Proxy.sol";
