/**
 * Explorer verification, proved offline: every contract the Ignition modules deploy is checked
 * against its compiler input (Hardhat's build-info: sources + settings) and metadata with
 * Sourcify's own library, reading the code and the creation transactions from the simulated chain
 * over JSON-RPC, exactly as Sourcify reads a live chain. The expected result is a *perfect* match
 * (the recompiled metadata hash equals the one embedded in the deployed code, so sources, settings
 * and compiler are those of the deployment), for the runtime code and for the creation code.
 *
 * The Safe contracts come from the npm artifacts (compiled by Safe, not by us): they are checked by
 * code hash against the canonical v1.4.1 deployments instead.
 */
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { after, before, describe, it } from "node:test";
import hre from "hardhat";
import { getAddress, keccak256, toHex, type Address, type Hex } from "viem";
import { CANONICAL_SAFE_V141 } from "../ignition/lib/safe-artifacts.js";
import { LocalSolc } from "../scripts/lib/local-solc.js";
import { serveProvider } from "../scripts/lib/rpc-bridge.js";
import {
  setSourcifyLogLevel,
  SolidityCompilation,
  SolidityMetadataContract,
  SourcifyChain,
  Verification,
  withNestedCreations,
  type SolidityJsonInput,
  type SolidityMetadata,
} from "../scripts/lib/sourcify.js";
import { deployStack, type Stack } from "./helpers/deploy-stack.js";

const require = createRequire(import.meta.url);

/** A contract to verify: where it lives, which artifact built it, the tx that created it. */
interface Target {
  label: string;
  address: Address;
  contractName: string;
  creatorTxHash: Hex;
}

describe("explorer verification inputs (lib-sourcify, offline)", () => {
  let stack: Stack;
  let bridge: Awaited<ReturnType<typeof serveProvider>>;
  let chain: SourcifyChain;
  const solc = new LocalSolc();
  const targets: Target[] = [];

  /** The transaction that created `address`: top-level creations from receipts, the rest given. */
  async function creationTxs(): Promise<Map<Address, Hex>> {
    const client = await stack.connection.viem.getPublicClient();
    const latest = await client.getBlockNumber();
    const created = new Map<Address, Hex>();
    for (let n = 0n; n <= latest; n++) {
      const block = await client.getBlock({ blockNumber: n });
      for (const hash of block.transactions) {
        const receipt = await client.getTransactionReceipt({ hash });
        if (receipt.contractAddress) created.set(getAddress(receipt.contractAddress), hash);
      }
    }
    return created;
  }

  before(async () => {
    setSourcifyLogLevel(0);
    stack = await deployStack();
    bridge = await serveProvider(stack.connection.provider);
    const chainId = await (await stack.connection.viem.getPublicClient()).getChainId();
    chain = withNestedCreations(
      new SourcifyChain({
        name: "Hardhat simulated",
        chainId,
        supported: true,
        // EDR answers `debug_traceTransaction` with the callTracer: Sourcify's way to find the
        // creation code of a contract deployed by another contract (SettlementExtension).
        rpcs: [{ rpc: bridge.url, traceSupport: "debug_traceTransaction" }],
      } as ConstructorParameters<typeof SourcifyChain>[0]),
    );

    const created = await creationTxs();
    const { addresses, contracts } = stack;
    const implementation = getAddress(addresses.settlementImplementation!);
    const extension = getAddress(await contracts.settlementImplementation.read.extension());
    const tx = (a: Address) => {
      const hash = created.get(getAddress(a));
      assert.ok(hash, `no creation transaction found for ${a}`);
      return hash;
    };
    targets.push(
      {
        label: "Settlement (implementation)",
        address: implementation,
        contractName: "Settlement",
        creatorTxHash: tx(implementation),
      },
      // Deployed by Settlement's constructor: its creation code is in the implementation's tx.
      {
        label: "SettlementExtension",
        address: extension,
        contractName: "SettlementExtension",
        creatorTxHash: tx(implementation),
      },
      {
        label: "Settlement proxy",
        address: getAddress(addresses.settlementProxy!),
        contractName: "ERC1967Proxy",
        creatorTxHash: tx(addresses.settlementProxy!),
      },
      {
        label: "TimelockController",
        address: getAddress(addresses.timelock!),
        contractName: "TimelockController",
        creatorTxHash: tx(addresses.timelock!),
      },
      ...Object.keys(addresses)
        .filter((k) => /^token[A-Z0-9]+$/.test(k))
        .map((k) => ({
          label: `TestERC20 ${k.slice(5)}`,
          address: getAddress(addresses[k]!),
          contractName: "TestERC20",
          creatorTxHash: tx(addresses[k]!),
        })),
    );
  });

  after(async () => {
    await bridge?.close();
  });

  /** The standard-JSON input and source name of a contract, from Hardhat's build-info. */
  async function compilerInput(contractName: string) {
    const artifact = await hre.artifacts.readArtifact(contractName);
    const buildInfoId = await hre.artifacts.getBuildInfoId(contractName);
    assert.ok(buildInfoId, `no build-info for ${contractName}`);
    const path = await hre.artifacts.getBuildInfoPath(buildInfoId);
    const buildInfo = JSON.parse(await readFile(path!, "utf8")) as {
      solcLongVersion: string;
      input: SolidityJsonInput;
    };
    return {
      version: buildInfo.solcLongVersion,
      input: buildInfo.input,
      sourceName: (artifact as unknown as { inputSourceName: string }).inputSourceName,
    };
  }

  it("uses the pinned local solc, the compiler of the build-info", async () => {
    const { version } = await compilerInput("Settlement");
    assert.equal(solc.longVersion, version);
    assert.equal(require("solc/package.json").version, version.split("+")[0]);
  });

  it("finds a perfect runtime and creation match for every contract we compiled", async () => {
    assert.ok(targets.length >= 7, `only ${targets.length} targets`);
    for (const target of targets) {
      const { version, input, sourceName } = await compilerInput(target.contractName);
      const compilation = new SolidityCompilation(solc, version, structuredClone(input), {
        path: sourceName,
        name: target.contractName,
      });
      const verification = new Verification(
        compilation,
        chain,
        target.address,
        target.creatorTxHash,
      );
      await verification.verify();
      assert.deepEqual(
        verification.status,
        { runtimeMatch: "perfect", creationMatch: "perfect" },
        `${target.label} at ${target.address}`,
      );
      // Perfect = the deployed code's metadata hash is the recompiled metadata's: the same sources
      // (by keccak256), settings and compiler. Spot-check the settings explorers will be given.
      const metadata = verification.compilation.metadata as SolidityMetadata;
      assert.equal(metadata.settings.evmVersion, "shanghai");
      assert.deepEqual(metadata.settings.compilationTarget, { [sourceName]: target.contractName });
      for (const [name, source] of Object.entries(metadata.sources)) {
        assert.equal(source.keccak256, keccak256(toHex(input.sources[name]!.content!)), name);
      }
    }
  });

  it("matches from the metadata and its own sources alone (what Sourcify stores)", async () => {
    // Sourcify's metadata path: only the files the metadata lists, settings from the metadata.
    for (const contractName of ["TestERC20", "TimelockController"]) {
      const target = targets.find((t) => t.contractName === contractName)!;
      const { version, input, sourceName } = await compilerInput(contractName);
      const output = await solc.compile(version, input);
      const metadata = JSON.parse(
        output.contracts[sourceName]![contractName]!.metadata!,
      ) as SolidityMetadata;
      const sources = Object.keys(metadata.sources).map((path) => ({
        path,
        content: input.sources[path]!.content!,
      }));
      assert.ok(sources.length < Object.keys(input.sources).length);
      const compilation = await new SolidityMetadataContract(metadata, sources).createCompilation(
        solc,
      );
      const verification = new Verification(
        compilation,
        chain,
        target.address,
        target.creatorTxHash,
      );
      await verification.verify();
      assert.deepEqual(verification.status, { runtimeMatch: "perfect", creationMatch: "perfect" });
    }
  });

  it("refuses a contract compiled from other sources (the check can fail)", async () => {
    const target = targets.find((t) => t.contractName === "TestERC20")!;
    const { version, input, sourceName } = await compilerInput("TestERC20");
    // Only the files TestERC20 needs (from its metadata), so this compile stays small.
    const output = await solc.compile(version, input);
    const metadata = JSON.parse(
      output.contracts[sourceName]!.TestERC20!.metadata!,
    ) as SolidityMetadata;
    const tampered: SolidityJsonInput = {
      ...input,
      sources: Object.fromEntries(
        Object.keys(metadata.sources).map((path) => [
          path,
          { content: input.sources[path]!.content },
        ]),
      ),
    };
    tampered.sources[sourceName]!.content += "\n// not what was deployed\n";
    const compilation = new SolidityCompilation(solc, version, tampered, {
      path: sourceName,
      name: "TestERC20",
    });
    const verification = new Verification(compilation, chain, target.address, target.creatorTxHash);
    await verification.verify();
    // Same code, another metadata hash: a partial match, never a perfect one.
    assert.deepEqual(verification.status, { runtimeMatch: "partial", creationMatch: "partial" });
  });

  it("finds the canonical Safe v1.4.1 code (npm artifacts, not our compiler) by code hash", async () => {
    const client = await stack.connection.viem.getPublicClient();
    const { addresses } = stack;
    const expected: [Address, Hex][] = [
      [addresses.safeSingleton!, CANONICAL_SAFE_V141.safeL2.codeHash],
      [addresses.safeProxyFactory!, CANONICAL_SAFE_V141.safeProxyFactory.codeHash],
      [addresses.safeFallbackHandler!, CANONICAL_SAFE_V141.compatibilityFallbackHandler.codeHash],
    ];
    for (const [address, codeHash] of expected) {
      assert.equal(keccak256((await client.getCode({ address }))!), codeHash, address);
    }
    // The two Safes are SafeProxy instances of that singleton.
    const proxy =
      require("@safe-global/safe-contracts/build/artifacts/contracts/proxies/SafeProxy.sol/SafeProxy.json") as {
        deployedBytecode: Hex;
      };
    for (const safe of [addresses.governanceSafe!, addresses.guardianSafe!]) {
      assert.equal(await client.getCode({ address: safe }), proxy.deployedBytecode);
      const slot0 = await client.getStorageAt({ address: safe, slot: "0x0" });
      assert.equal(getAddress(`0x${slot0!.slice(-40)}`), getAddress(addresses.safeSingleton!));
    }
  });
});
