import { randomUUID } from "node:crypto";
import { createWalletClient, http, type Account, type Address, type Chain, type Hex } from "viem";
import { SettlementClient } from "../../src/chain/settlement-client.js";
import { TxSender, type TxSenderOptions } from "../../src/chain/tx-sender.js";
import {
  deployDevStack,
  devAccount,
  DEV_ROLES,
  type DevStack,
  type DevStackOptions,
} from "../../../scripts/lib/devchain/deploy-dev-stack.js";
import {
  rpc,
  startHardhatNode,
  type HardhatNode,
} from "../../../scripts/lib/devchain/hardhat-node.js";

export interface DevChain {
  node: HardhatNode;
  stack: DevStack;
  /** Settlement client signing as the sequencer. */
  client: SettlementClient;
  stop(): Promise<void>;
}

/** A hardhat node with the settlement stack deployed, and a sequencer-keyed client. */
export async function startDevChain(
  options: DevStackOptions & { sender?: TxSenderOptions } = {},
): Promise<DevChain> {
  const node = await startHardhatNode();
  try {
    const stack = await deployDevStack(node.url, options);
    const client = sequencerClient(node.url, stack, options.sender);
    return { node, stack, client, stop: () => node.stop() };
  } catch (error) {
    await node.stop();
    throw error;
  }
}

export function sequencerClient(url: string, stack: DevStack, options: TxSenderOptions = {}) {
  const wallet = createWalletClient({
    chain: stack.chain as Chain,
    transport: http(url),
    account: devAccount(DEV_ROLES.sequencer).account as Account,
  });
  const sender = new TxSender(stack.publicClient, wallet, { pollIntervalMs: 50, ...options });
  return new SettlementClient(stack.settlement, stack.publicClient, sender);
}

/** Moves chain time forward and mines a block. */
export async function advanceTime(url: string, seconds: number | bigint): Promise<void> {
  await rpc(url, "evm_increaseTime", [Number(seconds)]);
  await rpc(url, "evm_mine");
}

/** Mines `blocks` empty blocks (e.g. to pass the contract's cancel grace). */
export async function mineBlocks(url: string, blocks: number): Promise<void> {
  await rpc(url, "hardhat_mine", [`0x${blocks.toString(16)}`]);
}

/** A queue name no other test uses. */
export const uniqueQueue = (prefix: string) => `${prefix}-${randomUUID()}`;

/** Polls `check` until it returns a value other than undefined, or fails after `timeoutMs`. */
export async function eventually<T>(
  check: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 30_000,
  what = "condition",
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export type { Address, Hex };
