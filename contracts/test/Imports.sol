// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

// Compiles OpenZeppelin's proxy so tests and Ignition can deploy it by name.
import {ERC1967Proxy} from "@openzeppelin/contracts/proxy/ERC1967/ERC1967Proxy.sol";
