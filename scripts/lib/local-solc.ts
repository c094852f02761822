/**
 * A Sourcify (`@ethereum-sourcify/lib-sourcify`) Solidity compiler backed by the pinned `solc` npm
 * package (WASM), so verification inputs are checked offline: nothing is downloaded.
 *
 * Compiling is the slow part (a whole-project standard-JSON input takes tens of seconds in WASM),
 * and lib-sourcify compiles once per contract with an `outputSelection` naming only its target.
 * Bytecode and metadata do not depend on `outputSelection` (no via-IR here), so this compiler
 * compiles each distinct (sources, settings without outputSelection) once, selecting what
 * lib-sourcify reads for every contract, and answers later targets from that output.
 */
import { createHash } from "node:crypto";
import { createRequire } from "node:module";
import type { SolidityCompiler, SolidityJsonInput, SolidityOutput } from "./sourcify.js";

const require = createRequire(import.meta.url);

interface Solc {
  version(): string;
  compile(input: string): string;
}

/** What lib-sourcify reads from a compilation target (its `DEFAULT_OUTPUT_SELECTION`). */
const OUTPUT_SELECTION = {
  "*": {
    "*": [
      "abi",
      "metadata",
      "storageLayout",
      "evm.legacyAssembly",
      "evm.bytecode.object",
      "evm.bytecode.sourceMap",
      "evm.bytecode.linkReferences",
      "evm.deployedBytecode.object",
      "evm.deployedBytecode.sourceMap",
      "evm.deployedBytecode.linkReferences",
      "evm.deployedBytecode.immutableReferences",
    ],
  },
};

/** The error lib-sourcify expects from a failed compilation: the output's `errors`. */
export class LocalSolcCompilationError extends Error {
  constructor(readonly errors: unknown[]) {
    super(`solc: ${errors.length} compilation error(s)`);
  }
}

export class LocalSolc implements SolidityCompiler {
  private readonly solc: Solc;
  private readonly outputs = new Map<string, Promise<SolidityOutput>>();
  /** Number of real compiler runs (the rest came from the cache). */
  compilations = 0;

  /** `solcModule`: a `solc` wrapper; default: the project's pinned `solc` package. */
  constructor(solcModule: Solc = require("solc") as Solc) {
    this.solc = solcModule;
  }

  /** "0.8.30+commit.73712a01" (the metadata's `compiler.version`). */
  get longVersion(): string {
    return this.solc.version().replace(/\.Emscripten\.clang$/, "");
  }

  async compile(version: string, input: SolidityJsonInput): Promise<SolidityOutput> {
    if (version !== this.longVersion && version !== this.longVersion.split("+")[0]) {
      throw new Error(
        `local solc is ${this.longVersion}, the contract needs ${version}; install that solc npm version`,
      );
    }
    const { outputSelection: _ignored, ...settings } = input.settings;
    const key = createHash("sha256")
      .update(JSON.stringify({ sources: input.sources, settings, language: input.language }))
      .digest("hex");
    let output = this.outputs.get(key);
    if (output === undefined) {
      output = Promise.resolve().then(() => {
        this.compilations++;
        const full = { ...input, settings: { ...settings, outputSelection: OUTPUT_SELECTION } };
        return JSON.parse(this.solc.compile(JSON.stringify(full))) as SolidityOutput;
      });
      this.outputs.set(key, output);
    }
    const result = await output;
    const errors = (result.errors ?? []).filter((e) => e.severity === "error");
    if (errors.length > 0) throw new LocalSolcCompilationError(errors);
    return result;
  }
}
