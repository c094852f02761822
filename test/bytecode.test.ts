/**
 * zkEVM compatibility: no deployed runtime code (every contract the Ignition modules deploy, read
 * back from the chain) nor any compiled contract contains TLOAD, TSTORE, MCOPY, BLOBHASH,
 * BLOBBASEFEE or BASEFEE.
 */
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { bytesToHex, concatHex, getAddress, keccak256, type Address, type Hex } from "viem";
import { CANONICAL_SAFE_V141 } from "../ignition/lib/safe-artifacts.js";
import { findForbiddenOpcodes, stripMetadataTrailer } from "../scripts/lib/opcodes.js";
import { deployStack, type Stack } from "./helpers/deploy-stack.js";

/** A solc-like metadata trailer: {"ipfs": <34 bytes>, "solc": <3 bytes>} + its 2-byte length. */
function metadataTrailer(filler: number): Hex {
  const ipfs = "ipfs"
    .split("")
    .map((c) => c.charCodeAt(0).toString(16))
    .join("");
  const solc = "solc"
    .split("")
    .map((c) => c.charCodeAt(0).toString(16))
    .join("");
  const body = `a264${ipfs}5822${filler.toString(16).padStart(2, "0").repeat(34)}64${solc}4300081e`;
  const length = body.length / 2;
  return `0x${body}${length.toString(16).padStart(4, "0")}`;
}

describe("bytecode scanner", () => {
  it("finds each forbidden opcode in code", () => {
    for (const [op, name] of [
      ["5c", "TLOAD"],
      ["5d", "TSTORE"],
      ["5e", "MCOPY"],
      ["49", "BLOBHASH"],
      ["4a", "BLOBBASEFEE"],
      ["48", "BASEFEE"],
    ] as const) {
      // PUSH1 0x00, PUSH1 0x00, <op>, STOP
      const findings = findForbiddenOpcodes(`0x60006000${op}00`);
      assert.deepEqual(findings, [{ offset: 4, opcode: parseInt(op, 16), name }]);
    }
  });

  it("does not read PUSH data as code", () => {
    assert.deepEqual(findForbiddenOpcodes(`0x7f${"5c".repeat(32)}00`), []); // PUSH32 0x5c5c...
    assert.deepEqual(findForbiddenOpcodes("0x615d5e5c"), [
      { offset: 3, opcode: 0x5c, name: "TLOAD" },
    ]);
    assert.deepEqual(findForbiddenOpcodes("0x7f5c5c"), []); // truncated PUSH32 at the end
  });

  it("skips the metadata trailer, and only a real one", () => {
    const code: Hex = "0x6080604052600080fd";
    const withTrailer = concatHex([code, metadataTrailer(0x5c)]);
    assert.equal(bytesToHex(stripMetadataTrailer(Buffer.from(withTrailer.slice(2), "hex"))), code);
    assert.deepEqual(findForbiddenOpcodes(withTrailer), []);
    // The same bytes with a wrong length are code, and the scanner sees them.
    const broken = `${withTrailer.slice(0, -4)}0001` as Hex;
    assert.ok(findForbiddenOpcodes(broken).some((f) => f.name === "TLOAD"));
  });

  it("does not let data after the last instruction run over the metadata that follows", () => {
    // solc may append 32-byte constants after a contract's last instruction; here one byte of such
    // data reads as PUSH8, which would swallow the start of the metadata and decode its hash
    // (filled with 0x49, BLOBHASH) as code. Settlement's creation code has this shape.
    const code = concatHex([
      "0x600080fe",
      "0x67c8",
      metadataTrailer(0x49),
      "0x608060405260006000fd",
    ]);
    assert.deepEqual(findForbiddenOpcodes(concatHex([code, metadataTrailer(0x5c)])), []);
  });

  it("scans embedded contracts as code and the data after their metadata as data", () => {
    const child = concatHex(["0x60806040525c", metadataTrailer(0x5d)]); // TLOAD in the child's code
    const data = "0x5e5e5e"; // e.g. a constructor's revert string, read by CODECOPY
    const secondChild = "0x60a06040525d"; // a second sub-assembly, with TSTORE
    const code = concatHex(["0x600080fd", child, data, secondChild, metadataTrailer(0x5c)]);
    assert.deepEqual(
      findForbiddenOpcodes(code).map((f) => f.name),
      ["TLOAD", "TSTORE"],
    );
  });
});

describe("deployed bytecode", () => {
  let stack: Stack;
  before(async () => {
    stack = await deployStack();
  });

  it("of every contract the Ignition modules deploy is free of forbidden opcodes", async () => {
    const client = await stack.connection.viem.getPublicClient();
    const addresses = new Map<Address, string>();
    for (const [name, address] of Object.entries(stack.addresses)) {
      addresses.set(getAddress(address), name);
    }
    // Settlement's constructor deploys its extension (the code that did not fit in 24 KiB).
    const extension = await client
      .readContract({
        address: stack.addresses.settlement!,
        abi: [
          {
            type: "function",
            name: "extension",
            stateMutability: "view",
            inputs: [],
            outputs: [{ type: "address" }],
          },
        ],
        functionName: "extension",
      })
      .catch(() => undefined);
    if (extension !== undefined) addresses.set(getAddress(extension), "settlementExtension");
    assert.ok(addresses.size >= 10, `only ${addresses.size} contracts`);
    for (const [address, name] of addresses) {
      const code = await client.getCode({ address });
      assert.ok(code !== undefined && code.length > 2, `${name} has no code`);
      assert.deepEqual(findForbiddenOpcodes(code), [], name);
    }
  });

  it("of the locally deployed Safe contracts is the canonical v1.4.1 code", async () => {
    const client = await stack.connection.viem.getPublicClient();
    for (const [name, canonical] of [
      ["safeSingleton", CANONICAL_SAFE_V141.safeL2],
      ["safeProxyFactory", CANONICAL_SAFE_V141.safeProxyFactory],
      ["safeFallbackHandler", CANONICAL_SAFE_V141.compatibilityFallbackHandler],
    ] as const) {
      const code = await client.getCode({ address: stack.addresses[name]! });
      assert.equal(keccak256(code!), canonical.codeHash);
    }
  });

  it("of every compiled contract is free of forbidden opcodes", async () => {
    const { artifacts } = await import("hardhat");
    const names = [...(await artifacts.getAllFullyQualifiedNames())];
    assert.ok(names.length > 0);
    for (const name of names) {
      const { deployedBytecode, bytecode } = await artifacts.readArtifact(name);
      for (const code of [deployedBytecode, bytecode]) {
        // Unlinked library placeholders (__$<34 hex>$__) become a zero address.
        const linked = code.replace(/__\$[0-9a-fA-F]{34}\$__/g, "0".repeat(40)) as Hex;
        assert.deepEqual(findForbiddenOpcodes(linked), [], name);
      }
    }
  });
});
