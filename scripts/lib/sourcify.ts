/**
 * The parts of `@ethereum-sourcify/lib-sourcify` (v3) we use, imported from their own modules.
 *
 * Why not the package entry: lib-sourcify 3.4.0's `index.js` re-exports
 * `@ethereum-sourcify/compilers-types` at run time, but lists that package only as a
 * devDependency, so it is not installed (and the registry here has no version in the `^1.1.0`
 * range it asks for). Every module below loads without it; its types (compiler input/output,
 * metadata) are declared here in the shape we read.
 */
import { createRequire } from "node:module";
import type { SolidityCompilation as SolidityCompilationClass } from "@ethereum-sourcify/lib-sourcify/build/main/Compilation/SolidityCompilation.js";
import type { SourcifyChain as SourcifyChainClass } from "@ethereum-sourcify/lib-sourcify/build/main/SourcifyChain/SourcifyChain.js";
import type { SolidityMetadataContract as SolidityMetadataContractClass } from "@ethereum-sourcify/lib-sourcify/build/main/Validation/SolidityMetadataContract.js";
import type { Verification as VerificationClass } from "@ethereum-sourcify/lib-sourcify/build/main/Verification/Verification.js";

const require = createRequire(import.meta.url);
const LIB = "@ethereum-sourcify/lib-sourcify/build/main";

export const { SolidityCompilation } = require(`${LIB}/Compilation/SolidityCompilation.js`) as {
  SolidityCompilation: typeof SolidityCompilationClass;
};
export const { SolidityMetadataContract } = require(
  `${LIB}/Validation/SolidityMetadataContract.js`,
) as { SolidityMetadataContract: typeof SolidityMetadataContractClass };
export const { SourcifyChain } = require(`${LIB}/SourcifyChain/SourcifyChain.js`) as {
  SourcifyChain: typeof SourcifyChainClass;
};
export const { Verification } = require(`${LIB}/Verification/Verification.js`) as {
  Verification: typeof VerificationClass;
};
/** 0 errors only, 1 warnings, 2 info (default), 5 debug. */
export const { setLevel: setSourcifyLogLevel } = require(`${LIB}/logger.js`) as {
  setLevel: (level: number) => void;
};

/** A standard-JSON compiler input (the fields we touch). */
export interface SolidityJsonInput {
  language: "Solidity";
  sources: Record<string, { content: string; keccak256?: string }>;
  settings: Record<string, unknown> & { outputSelection?: unknown };
}

/** A compiled contract in standard-JSON output (the fields we touch). */
export interface SolidityOutputContract {
  metadata?: string;
  evm: { bytecode: { object: string }; deployedBytecode: { object: string } };
}

export interface SolidityOutput {
  errors?: { severity: "error" | "warning" | "info"; formattedMessage?: string }[];
  contracts: Record<string, Record<string, SolidityOutputContract>>;
  sources?: Record<string, unknown>;
}

/** The Solidity metadata (solc's `metadata` output; its IPFS hash ends the runtime code). */
export interface SolidityMetadata {
  compiler: { version: string };
  language: "Solidity";
  settings: {
    compilationTarget: Record<string, string>;
    evmVersion?: string;
    optimizer?: { enabled: boolean; runs: number };
  } & Record<string, unknown>;
  sources: Record<string, { keccak256: string; urls?: string[]; content?: string }>;
}

/** lib-sourcify's compiler interface (`ISolidityCompiler`). */
export interface SolidityCompiler {
  compile(
    version: string,
    input: SolidityJsonInput,
    forceEmscripten?: boolean,
  ): Promise<SolidityOutput>;
}

/** Match of a `Verification`: "perfect" = metadata hash equal too; "partial" = code only. */
export type MatchStatus = "perfect" | "partial" | "extra-file-input-bug" | "error" | null;

export type SolidityCompilation = SolidityCompilationClass;
export type SolidityMetadataContract = SolidityMetadataContractClass;
export type SourcifyChain = SourcifyChainClass;
export type Verification = VerificationClass;

/**
 * lib-sourcify takes the creation code of a contract from its creation transaction's input when
 * the receipt names a created contract, and from the call traces (`debug_traceTransaction`,
 * callTracer) only when it names none (a factory call). A contract deployed by another contract's
 * *constructor* (SettlementExtension, by Settlement's) falls between the two: the receipt names the
 * outer contract, and the library gives up. This makes the chain use the trace path for it too:
 * the same data Sourcify reads for any factory-deployed contract.
 */
export function withNestedCreations(chain: SourcifyChain): SourcifyChain {
  const original = chain.getContractCreationBytecodeAndReceipt;
  chain.getContractCreationBytecodeAndReceipt = async (address, transactionHash, creatorTx) => {
    const txReceipt = await chain.getTxReceipt(transactionHash);
    const created = txReceipt.contractAddress;
    if (created === null || created.toLowerCase() === address.toLowerCase()) {
      return original(address, transactionHash, creatorTx);
    }
    const creationBytecode = await chain.getCreationBytecodeForFactory(transactionHash, address);
    return { creationBytecode, txReceipt };
  };
  return chain;
}
