/**
 * A scan of EVM bytecode for opcodes that Polygon zkEVM / CDK chains treat as invalid (see
 * DESIGN.md: the EVM target is shanghai). It walks instructions, skipping PUSH1..PUSH32 data, and
 * skips what solc lays out as data, so data is never read as code:
 *
 * - the metadata trailer (CBOR map; the last 2 bytes give its length);
 * - contracts embedded as creation code (a factory's `type(Proxy).creationCode`, a constructor
 *   that deploys a helper) are code and are scanned, but solc's layout is
 *   `code | sub-assemblies | data`, so what follows an embedded contract's metadata is data
 *   (e.g. the embedded constructor's revert string) until the next sub-assembly starts. A
 *   sub-assembly starts with the free memory pointer set-up, `PUSH1|PUSH2 <ptr> PUSH1 0x40 MSTORE`.
 */
import { hexToBytes, type Hex } from "viem";

/** Opcodes introduced after shanghai (cancun: EIP-1153, EIP-5656, EIP-4844, EIP-7516) or by london (EIP-3198). */
export const FORBIDDEN_OPCODES: Readonly<Record<number, string>> = {
  0x48: "BASEFEE",
  0x49: "BLOBHASH",
  0x4a: "BLOBBASEFEE",
  0x5c: "TLOAD",
  0x5d: "TSTORE",
  0x5e: "MCOPY",
};

export interface OpcodeFinding {
  /** Byte offset of the instruction in the scanned code. */
  offset: number;
  opcode: number;
  name: string;
}

const PUSH1 = 0x60;
const PUSH32 = 0x7f;

/**
 * Length of a solc metadata blob (CBOR map + its 2-byte big-endian length) starting at `start`,
 * or 0 if none starts there. solc's map has 1..5 entries keyed by text strings: "ipfs", "bzzr0",
 * "bzzr1", "experimental", "solc" (CBOR: 0xa1..0xa5, then 0x64 "ipfs" / 0x65 "bzzr0"|"bzzr1" /
 * 0x6c "experimental" / 0x64 "solc"), and is followed by its length.
 */
export function metadataLengthAt(code: Uint8Array, start: number): number {
  const header = code[start];
  if (header === undefined || header < 0xa1 || header > 0xa5) return 0;
  const keys = ["ipfs", "bzzr0", "bzzr1", "experimental", "solc"];
  const startsWithKey = keys.some((key) => {
    if (code[start + 1] !== 0x60 + key.length) return false;
    for (let i = 0; i < key.length; i++)
      if (code[start + 2 + i] !== key.charCodeAt(i)) return false;
    return true;
  });
  if (!startsWithKey) return 0;
  // The map is followed by its own length; maps solc writes are well under 256 bytes.
  for (let length = 8; length < 256 && start + length + 1 < code.length; length++) {
    if (code[start + length] === length >> 8 && code[start + length + 1] === (length & 0xff)) {
      return length + 2;
    }
  }
  return 0;
}

/** The code without the metadata trailer (last 2 bytes = CBOR length) when one is present. */
export function stripMetadataTrailer(code: Uint8Array): Uint8Array {
  if (code.length < 2) return code;
  const length = (code[code.length - 2]! << 8) | code[code.length - 1]!;
  const start = code.length - 2 - length;
  if (start < 0 || metadataLengthAt(code, start) !== length + 2) return code;
  return code.subarray(0, start);
}

/** Whether a solc sub-assembly (creation code) starts at `at`: `60xx 6040 52` or `61xxxx 6040 52`. */
function isAssemblyStart(code: Uint8Array, at: number): boolean {
  const pushSize = code[at] === 0x60 ? 1 : code[at] === 0x61 ? 2 : 0;
  if (pushSize === 0) return false;
  const next = at + 1 + pushSize;
  return code[next] === 0x60 && code[next + 1] === 0x40 && code[next + 2] === 0x52;
}

/** Every forbidden opcode at an instruction position of `bytecode` (runtime or creation code). */
export function findForbiddenOpcodes(bytecode: Hex | Uint8Array): OpcodeFinding[] {
  const code = stripMetadataTrailer(typeof bytecode === "string" ? hexToBytes(bytecode) : bytecode);
  const findings: OpcodeFinding[] = [];
  // Metadata blobs found by their bytes, not by instruction alignment: solc may place data after a
  // contract's last instruction (e.g. 32-byte constants it CODECOPYs), which a linear decode reads
  // as PUSH instructions that would run over the metadata and misread everything after it.
  const metadataStarts: number[] = [];
  for (let at = 0; at < code.length; at++)
    if (metadataLengthAt(code, at) > 0) metadataStarts.push(at);
  let nextMetadata = 0; // index into metadataStarts of the first start >= pc
  let pc = 0;
  while (pc < code.length) {
    while (nextMetadata < metadataStarts.length && metadataStarts[nextMetadata]! < pc)
      nextMetadata++;
    const op = code[pc]!;
    const embedded = metadataLengthAt(code, pc);
    if (embedded > 0) {
      // Data follows an embedded contract's metadata, up to the next sub-assembly if any.
      pc += embedded;
      while (pc < code.length && !isAssemblyStart(code, pc)) pc++;
      continue;
    }
    const name = FORBIDDEN_OPCODES[op];
    if (name !== undefined) findings.push({ offset: pc, opcode: op, name });
    pc += op >= PUSH1 && op <= PUSH32 ? 1 + (op - PUSH1 + 1) : 1;
    // A "push" that runs into a metadata blob was data: resume at the blob.
    const blob = metadataStarts[nextMetadata];
    if (blob !== undefined && blob < pc && blob > pc - 33) pc = blob;
  }
  return findings;
}
