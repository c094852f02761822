// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IERC1271} from "@openzeppelin/contracts/interfaces/IERC1271.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";

/// @title SignatureLib
/// @notice A trader's signature as the contract judges it: a plain ECDSA signature by the trader
/// counts **whatever code the address has**, so an EOA that later delegates through EIP-7702 (or
/// any account that gains code) cannot revoke what it signed. Otherwise, an address with code is
/// asked through ERC-1271 (OpenZeppelin 5.4's `SignatureChecker`, reproduced).
/// @dev Why not import SignatureChecker: in 5.4 it imports utils/Bytes.sol, whose inline assembly
/// uses MCOPY, which does not compile for the shanghai target (DESIGN.md, zkEVM chains).
/// The ERC-1271 branch is still read when an answer is given, so a contract wallet can still
/// revoke; docs/protocol.md section 4 specifies its replacement (an approval recorded on-chain a
/// grace period before the commit), not yet built.
library SignatureLib {
    /// @notice Whether `signature` is `signer`'s over `hash`: its ECDSA signature (65 bytes, v 27
    /// or 28, low s), or, if `signer` has code, what its ERC-1271 `isValidSignature` says.
    function isValidSignatureNow(
        address signer,
        bytes32 hash,
        bytes memory signature
    ) internal view returns (bool) {
        (address recovered, ECDSA.RecoverError err, ) = ECDSA.tryRecover(hash, signature);
        if (err == ECDSA.RecoverError.NoError && recovered == signer) return true;
        if (signer.code.length == 0) return false;
        (bool success, bytes memory result) = signer.staticcall(
            abi.encodeCall(IERC1271.isValidSignature, (hash, signature))
        );
        return (success &&
            result.length >= 32 &&
            abi.decode(result, (bytes32)) == bytes32(IERC1271.isValidSignature.selector));
    }
}
