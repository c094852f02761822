/**
 * Safe v1.4.1 contracts as Ignition artifacts, straight from the `@safe-global/safe-contracts`
 * npm package (compiled by Safe with solc 0.7.6; older than shanghai, so none of the opcodes
 * zkEVM chains reject), and the canonical v1.4.1 deployments used on live chains.
 */
import { createRequire } from "node:module";
import type { Artifact } from "@nomicfoundation/ignition-core";
import type { Address, Hex } from "viem";

const require = createRequire(import.meta.url);
const ARTIFACTS = "@safe-global/safe-contracts/build/artifacts/contracts";

function load(path: string): Artifact {
  const artifact = require(`${ARTIFACTS}/${path}`) as Artifact;
  // Safe's artifacts are Hardhat 2 (`hh-sol-artifact-1`) files: exactly the shape Ignition takes.
  if (!artifact.bytecode.startsWith("0x") || artifact.abi.length === 0) {
    throw new Error(`@safe-global/safe-contracts: unexpected artifact ${path}`);
  }
  return artifact;
}

/** The Safe singleton emitting events for every transaction (the variant indexers expect on L2s). */
export const safeL2Artifact = load("SafeL2.sol/SafeL2.json");
export const safeProxyFactoryArtifact = load("proxies/SafeProxyFactory.sol/SafeProxyFactory.json");
export const compatibilityFallbackHandlerArtifact = load(
  "handler/CompatibilityFallbackHandler.sol/CompatibilityFallbackHandler.json",
);

/** A canonical deployment: its address and the keccak256 of its runtime code. */
export interface CanonicalDeployment {
  address: Address;
  codeHash: Hex;
}

/**
 * Canonical Safe v1.4.1 deployments, checked against `@safe-global/safe-deployments` 1.37.63
 * (`src/assets/v1.4.1/{safe_l2,safe_proxy_factory,compatibility_fallback_handler}.json`), which
 * lists them as "canonical" on Polygon PoS (137), Amoy (80002), zkEVM (1101) and Cardona (2442).
 * The code hashes equal keccak256 of the npm artifacts' `deployedBytecode`
 * (test/bytecode.test.ts checks that).
 */
export const CANONICAL_SAFE_V141 = {
  safeL2: {
    address: "0x29fcB43b46531BcA003ddC8FCB67FFE91900C762",
    codeHash: "0xb1f926978a0f44a2c0ec8fe822418ae969bd8c3f18d61e5103100339894f81ff",
  },
  safeProxyFactory: {
    address: "0x4e1DCf7AD4e460CfD30791CCC4F9c8a4f820ec67",
    codeHash: "0x50c3cdc4074750a7a974204a716c999edd37482f907608d960b2b025ee0b3317",
  },
  compatibilityFallbackHandler: {
    address: "0xfd0732Dc9E303f09fCEf3a7388Ad10A83459Ec99",
    codeHash: "0x7c6007a5d711cea8dfd5d91f5940ec29c7f200fe511eb1fc1397b367af3c42f9",
  },
} as const satisfies Record<string, CanonicalDeployment>;
