// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";
import {ISettlement} from "../interfaces/ISettlement.sol";

/// @dev Test-only: the fill leaf hash and Merkle proof check exactly as OpenZeppelin's
/// `StandardMerkleTree` and `MerkleProof` define them, so `test/vectors.test.ts` can prove the
/// sequencer's leaves, roots and proofs (the shared vectors) against Solidity.
contract FillLibHarness {
    /// @dev `ISettlement.Fill` has only static fields, so `abi.encode(fill)` is the fifteen words
    /// of `abi.encode(fill.batchId, ..., fill.takerFilledAfter)`: the StandardMerkleTree leaf
    /// preimage. The double hash is StandardMerkleTree's second-preimage guard.
    function leafHash(ISettlement.Fill calldata fill) external pure returns (bytes32) {
        return keccak256(bytes.concat(keccak256(abi.encode(fill))));
    }

    function verify(bytes32[] calldata proof, bytes32 root, bytes32 leaf) external pure returns (bool) {
        return MerkleProof.verifyCalldata(proof, root, leaf);
    }
}
