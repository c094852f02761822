/**
 * Safe v1.4.1 infrastructure: the SafeL2 singleton, the proxy factory and the fallback handler.
 *
 * - `useCanonicalSafe: false` (local chains): deploys all three from the npm artifacts.
 * - `useCanonicalSafe: true` (live chains): attaches to the canonical deployments; parameters
 *   `safeSingleton`, `safeProxyFactory`, `fallbackHandler` override the addresses (defaults:
 *   `CANONICAL_SAFE_V141`).
 *
 * The choice is made when the module is built (see ignition/lib/plan.ts), so two module objects
 * exist; both have the id "SafeInfra".
 */
import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";
import type { CallableContractFuture, IgnitionModule } from "@nomicfoundation/ignition-core";
import {
  CANONICAL_SAFE_V141,
  compatibilityFallbackHandlerArtifact,
  safeL2Artifact,
  safeProxyFactoryArtifact,
} from "../lib/safe-artifacts.js";

const localSafeInfra = buildModule("SafeInfra", (m) => {
  const singleton = m.contract("SafeL2", safeL2Artifact, []);
  const factory = m.contract("SafeProxyFactory", safeProxyFactoryArtifact, []);
  const fallbackHandler = m.contract(
    "CompatibilityFallbackHandler",
    compatibilityFallbackHandlerArtifact,
    [],
  );
  return { singleton, factory, fallbackHandler };
});

const canonicalSafeInfra = buildModule("SafeInfra", (m) => {
  const singleton = m.contractAt(
    "SafeL2",
    safeL2Artifact,
    m.getParameter("safeSingleton", CANONICAL_SAFE_V141.safeL2.address),
  );
  const factory = m.contractAt(
    "SafeProxyFactory",
    safeProxyFactoryArtifact,
    m.getParameter("safeProxyFactory", CANONICAL_SAFE_V141.safeProxyFactory.address),
  );
  const fallbackHandler = m.contractAt(
    "CompatibilityFallbackHandler",
    compatibilityFallbackHandlerArtifact,
    m.getParameter("fallbackHandler", CANONICAL_SAFE_V141.compatibilityFallbackHandler.address),
  );
  return { singleton, factory, fallbackHandler };
});

/** What both variants give: three contracts to call. */
export type SafeInfraModule = IgnitionModule<
  "SafeInfra",
  string,
  {
    singleton: CallableContractFuture<string>;
    factory: CallableContractFuture<string>;
    fallbackHandler: CallableContractFuture<string>;
  }
>;

export function buildSafeInfraModule(useCanonicalSafe: boolean): SafeInfraModule {
  return useCanonicalSafe ? canonicalSafeInfra : localSafeInfra;
}

export default localSafeInfra;
