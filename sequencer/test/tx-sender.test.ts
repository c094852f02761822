import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createPublicClient,
  createWalletClient,
  http,
  type Account,
  type PublicClient,
} from "viem";
import { hardhat } from "viem/chains";
import { ChainError } from "../src/chain/chain-errors.js";
import { TxSender } from "../src/chain/tx-sender.js";
import { devAccount } from "../../scripts/lib/devchain/deploy-dev-stack.js";
import {
  rpc,
  startHardhatNode,
  type HardhatNode,
} from "../../scripts/lib/devchain/hardhat-node.js";

describe("TxSender (hardhat node)", () => {
  let node: HardhatNode;
  let publicClient: PublicClient;
  const sender = devAccount(5).account;
  const to = devAccount(6).account.address;

  beforeAll(async () => {
    node = await startHardhatNode();
    publicClient = createPublicClient({
      chain: hardhat,
      transport: http(node.url),
    }) as PublicClient;
  });
  afterAll(async () => node?.stop());

  const txSender = (options: ConstructorParameters<typeof TxSender>[2]) =>
    new TxSender(
      publicClient,
      createWalletClient({ chain: hardhat, transport: http(node.url), account: sender as Account }),
      { pollIntervalMs: 50, ...options },
    );

  it("replaces a transaction stuck in the mempool with the same nonce and a higher fee", async () => {
    await rpc(node.url, "evm_setAutomine", [false]);
    try {
      const nonce = await publicClient.getTransactionCount({ address: sender.address });
      const fees = await publicClient.estimateFeesPerGas();
      const sending = txSender({ replaceAfterMs: 300, maxReplacements: 6 }).send({
        to,
        data: "0x",
        label: "stuck transfer",
      });
      // Let it be replaced a couple of times, then mine one block.
      await new Promise((r) => setTimeout(r, 1_000));
      await rpc(node.url, "evm_mine");
      const receipt = await sending;
      expect(receipt.status).toBe("success");
      const tx = await publicClient.getTransaction({ hash: receipt.transactionHash });
      expect(tx.nonce).toBe(nonce);
      // The mined one is a replacement: at least one 25% bump over the first offer.
      expect(tx.maxFeePerGas!).toBeGreaterThan((fees.maxFeePerGas * 125n) / 100n);
      // Exactly one transaction of that nonce was mined.
      expect(await publicClient.getTransactionCount({ address: sender.address })).toBe(nonce + 1);
    } finally {
      await rpc(node.url, "evm_setAutomine", [true]);
    }
  });

  it("sends one at a time with consecutive nonces and waits for confirmations", async () => {
    const s = txSender({ confirmations: 1 });
    const first = await publicClient.getTransactionCount({ address: sender.address });
    const receipts = await Promise.all([
      s.send({ to, data: "0x", label: "a" }),
      s.send({ to, data: "0x", label: "b" }),
      s.send({ to, data: "0x", label: "c" }),
    ]);
    const nonces = await Promise.all(
      receipts.map(
        async (r) => (await publicClient.getTransaction({ hash: r.transactionHash })).nonce,
      ),
    );
    expect(nonces).toEqual([first, first + 1, first + 2]);
  });

  it("gives up with a transient TX_NOT_MINED, then replaces the stuck transaction on the next send", async () => {
    const s = txSender({ replaceAfterMs: 150, maxReplacements: 1 });
    const nonce = await publicClient.getTransactionCount({ address: sender.address });
    await rpc(node.url, "evm_setAutomine", [false]);
    try {
      const error = await s.send({ to, data: "0x", label: "never mined" }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ChainError);
      expect((error as ChainError).code).toBe("TX_NOT_MINED");
      expect((error as ChainError).transient).toBe(true);
      // The retry takes the stuck nonce and outbids it (else the node refuses it as underpriced).
      const retry = s.send({ to, data: "0x", label: "retry" });
      await new Promise((r) => setTimeout(r, 300));
      await rpc(node.url, "evm_mine");
      const receipt = await retry;
      expect((await publicClient.getTransaction({ hash: receipt.transactionHash })).nonce).toBe(
        nonce,
      );
      expect(await publicClient.getTransactionCount({ address: sender.address })).toBe(nonce + 1);
    } finally {
      await rpc(node.url, "evm_mine");
      await rpc(node.url, "evm_setAutomine", [true]);
    }
  });
});
