import { keccak256, toHex, zeroAddress, zeroHash } from "viem";

/** OpenZeppelin AccessControl role ids of TimelockController (keccak256 of the role's name). */
export const TIMELOCK_ROLES = {
  DEFAULT_ADMIN_ROLE: zeroHash,
  PROPOSER_ROLE: keccak256(toHex("PROPOSER_ROLE")),
  EXECUTOR_ROLE: keccak256(toHex("EXECUTOR_ROLE")),
  CANCELLER_ROLE: keccak256(toHex("CANCELLER_ROLE")),
} as const;

/** Timelock salts of the bootstrap operations: distinct, self-describing, stable across deploys. */
export const BOOTSTRAP_SALTS = {
  markets: keccak256(toHex("clearmatch.bootstrap.tokens-and-markets")),
  delay: keccak256(toHex("clearmatch.bootstrap.update-delay")),
} as const;

/** Default Safe `saltNonce`s: distinct, so two Safes with identical setups still get two addresses. */
export const SAFE_SALT_NONCES = {
  governance: BigInt(keccak256(toHex("clearmatch.safe.governance"))),
  guardian: BigInt(keccak256(toHex("clearmatch.safe.guardian"))),
} as const;

export { zeroAddress, zeroHash };
