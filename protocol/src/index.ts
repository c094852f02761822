/**
 * `@clearmatch/protocol`: what the sequencer, the SDK, the scripts and the web client share, the
 * one definition of each: the EIP-712 types and order hashing, the fill leaf, the fills tree, the
 * deltas, the commit's packed fills, the fraud rules, the settlement contract's ABI, and the byte
 * and address helpers they rest on. It runs unchanged in Node and in a browser (no `node:` import,
 * no `Buffer`); a server injects a faster keccak256 with `useKeccak256`.
 */
export * from "./address.js";
export * from "./batch-commit.js";
export * from "./bytes.js";
export * from "./commit-context.js";
export * from "./commit-fills.js";
export * from "./crypto-error.js";
export * from "./deltas.js";
export * from "./eip712.js";
export * from "./fill-leaf.js";
export * from "./fraud-rules.js";
export * from "./json-schema.js";
export * from "./keccak.js";
export * from "./merkle.js";
export * from "./order-hasher.js";
export * from "./settlement-abi.js";
export * from "./settlement-data-error.js";
export * from "./statuses.js";
export type * from "./settlement-events.js";
export * from "./wire-schemas.js";
export type * from "./wire-types.js";
export * from "./wire-views.js";
