// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IERC1271} from "@openzeppelin/contracts/interfaces/IERC1271.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";

/// @title SignatureLib
/// @notice A trader's signature as the contract judges it (docs/protocol.md, section 4): a plain
/// ECDSA signature by the trader counts **whatever code the address has**, so an EOA that later
/// delegates through EIP-7702 (or any account that gains code) cannot revoke what it signed. A
/// contract wallet's consent is never asked when a challenge is answered: it is recorded on-chain
/// beforehand (`approveOrder`, or `recordApproval`, which asks ERC-1271 once through
/// `erc1271Accepts`), so no trader code runs in an answer and nothing can be revoked.
/// @dev Why not import OpenZeppelin's SignatureChecker: in 5.4 it imports utils/Bytes.sol, whose
/// inline assembly uses MCOPY, which does not compile for the shanghai target (DESIGN.md).
library SignatureLib {
    /// @notice Whether `signature` is `signer`'s ECDSA signature over `hash` (65 bytes, v 27 or 28,
    /// low s: OpenZeppelin's ECDSA, the rule the sequencer applies too).
    function recovers(address signer, bytes32 hash, bytes memory signature) internal pure returns (bool) {
        (address recovered, ECDSA.RecoverError err, ) = ECDSA.tryRecover(hash, signature);
        return err == ECDSA.RecoverError.NoError && recovered == signer;
    }

    /// @notice Whether contract `wallet` accepts `signature` over `hash` through ERC-1271, asked with
    /// at most `gasLimit` gas (false for an address without code, or any other answer).
    function erc1271Accepts(
        address wallet,
        bytes32 hash,
        bytes calldata signature,
        uint256 gasLimit
    ) internal view returns (bool) {
        if (wallet.code.length == 0) return false;
        (bool success, bytes memory result) = wallet.staticcall{gas: gasLimit}(
            abi.encodeCall(IERC1271.isValidSignature, (hash, signature))
        );
        return (success &&
            result.length >= 32 &&
            abi.decode(result, (bytes32)) == bytes32(IERC1271.isValidSignature.selector));
    }
}
