import {
  createWalletClient,
  custom,
  recoverTypedDataAddress,
  type Address,
  type EIP1193RequestFn,
  type LocalAccount,
} from "viem";
import { mnemonicToAccount, privateKeyToAccount } from "viem/accounts";
import { describe, expect, it } from "vitest";
import { ClearmatchClient } from "../../sdk/src/clearmatch-client.js";
import { ClearmatchClientError } from "../../sdk/src/client-errors.js";
import { nonceFloorAt } from "../../sdk/src/order-params.js";
import { cancelTypes, orderTypes } from "@clearmatch/protocol";
import { vectors } from "./support/shared-vectors.js";

const { domain } = vectors;
const NOW_MS = 1_700_000_000_123;

function localWallet(account: LocalAccount) {
  // Local accounts sign without a transport call; the transport only backs getChainId & co.
  return createWalletClient({
    account,
    transport: custom({ request: async () => Promise.reject(new Error("no RPC in this test")) }),
  });
}

function client(account?: LocalAccount, extra: Record<string, unknown> = {}) {
  return new ClearmatchClient({
    baseUrl: "http://127.0.0.1:1",
    chainId: domain.chainId,
    settlement: domain.verifyingContract,
    ...(account ? { wallet: localWallet(account) } : {}),
    now: () => NOW_MS,
    ...extra,
  });
}

/**
 * An EIP-1193 provider in front of a key, as a browser wallet is: the wallet client holds
 * only an address and signs through `eth_signTypedData_v4` with the JSON typed data.
 */
function browserWallet(account: LocalAccount) {
  const methods: string[] = [];
  const request = (async ({ method, params }: { method: string; params?: unknown }) => {
    methods.push(method);
    if (method === "eth_accounts" || method === "eth_requestAccounts") return [account.address];
    if (method === "eth_chainId") return `0x${domain.chainId.toString(16)}`;
    if (method === "eth_signTypedData_v4") {
      const [address, json] = params as [Address, string];
      if (address.toLowerCase() !== account.address.toLowerCase()) throw new Error("not mine");
      // viem sends uints as decimal strings; the wallet hashes them as integers.
      const typed = JSON.parse(json);
      for (const [key, value] of Object.entries(typed.message))
        if (typeof value === "string" && /^[0-9]+$/.test(value)) typed.message[key] = BigInt(value);
      delete typed.types.EIP712Domain;
      return account.signTypedData(typed);
    }
    throw new Error(`unsupported method ${method}`);
  }) as EIP1193RequestFn;
  return { wallet: createWalletClient({ transport: custom({ request }) }), methods };
}

describe("ClearmatchClient signing", () => {
  it("signs orders whose hashes and signatures equal the shared vectors", async () => {
    for (const vector of vectors.orders) {
      const account = mnemonicToAccount(vectors.mnemonic, { addressIndex: vector.accountIndex });
      const signed = await client(account).signOrder(vector.order);
      expect(signed.orderHash, vector.name).toBe(vector.digest);
      expect(signed.signature, vector.name).toBe(vector.signature);
      expect(signed).toMatchObject({
        chainId: domain.chainId,
        verifyingContract: domain.verifyingContract,
      });
      const recovered = await recoverTypedDataAddress({
        domain,
        types: orderTypes,
        primaryType: "Order",
        message: vector.order,
        signature: signed.signature,
      });
      expect(recovered).toBe(vector.signer);
    }
  });

  it("signs cancels equal to the shared vectors", async () => {
    for (const vector of vectors.orders.slice(0, 3)) {
      const account = mnemonicToAccount(vectors.mnemonic, { addressIndex: vector.accountIndex });
      const cancel = await client(account).signCancel(vector.digest);
      expect(cancel.signature).toBe(vector.cancelSignature);
      const recovered = await recoverTypedDataAddress({
        domain,
        types: cancelTypes,
        primaryType: "Cancel",
        message: { orderHash: vector.digest },
        signature: cancel.signature,
      });
      expect(recovered).toBe(vector.signer);
    }
  });

  it("signs through an EIP-1193 wallet holding only an address, as browser wallets do", async () => {
    const account = privateKeyToAccount(
      "0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a",
    );
    const { wallet, methods } = browserWallet(account);
    const sdk = client(undefined, { wallet });
    expect(await sdk.getAddress()).toBe(account.address);
    const order = await sdk.buildOrder({ marketId: 1, side: "buy", price: 2_000n, amount: 10n });
    expect(order.trader).toBe(account.address);
    const signed = await sdk.signOrder(order);
    expect(methods).toContain("eth_signTypedData_v4");
    expect(signed.signature).toBe((await client(account).signOrder(order)).signature);
    expect(
      await recoverTypedDataAddress({
        domain,
        types: orderTypes,
        primaryType: "Order",
        message: order,
        signature: signed.signature,
      }),
    ).toBe(account.address);
  });

  it("refuses to sign an order whose trader is not the wallet's account", async () => {
    const [a, b] = [1, 2].map((i) => mnemonicToAccount(vectors.mnemonic, { addressIndex: i }));
    const order = { ...vectors.orders[0]!.order, trader: b!.address };
    await expect(client(a).signOrder(order)).rejects.toMatchObject({
      code: "INVALID_ORDER_PARAMS",
    });
  });

  it("refuses to sign without a wallet", async () => {
    await expect(client().signOrder(vectors.orders[0]!.order)).rejects.toMatchObject({
      code: "WALLET_REQUIRED",
    });
  });
});

describe("ClearmatchClient.buildOrder", () => {
  const account = mnemonicToAccount(vectors.mnemonic, { addressIndex: 1 });

  it("fills the trader, a clock nonce, the expiry, the fee cap and the flags", async () => {
    const order = await client(account).buildOrder({
      marketId: 7,
      side: "sell",
      price: 2_500_000_000n,
      amount: 10n ** 18n,
      ioc: true,
      fok: true,
    });
    expect(order).toMatchObject({
      trader: account.address,
      marketId: 7,
      side: 1,
      price: 2_500_000_000n,
      amount: 10n ** 18n,
      expiry: BigInt(Math.floor(NOW_MS / 1000) + 86_400),
      maxFeeBps: 30,
      flags: 6,
    });
    expect(order.nonce >> 20n).toBe(BigInt(NOW_MS));
    expect(order.nonce >= nonceFloorAt(NOW_MS)).toBe(true);
  });

  it("gives strictly increasing nonces under a frozen clock", async () => {
    const sdk = client(account);
    let last = 0n;
    for (let i = 0; i < 50; i++) {
      const { nonce } = await sdk.buildOrder({ marketId: 1, side: 0, price: 1n, amount: 1n });
      expect(nonce > last).toBe(true);
      last = nonce;
    }
  });

  it("applies the client's order defaults and per-order overrides", async () => {
    const sdk = client(account, {
      orderDefaults: { ttlSeconds: 60, maxFeeBps: 5, nonce: "random" },
    });
    const order = await sdk.buildOrder({
      marketId: 1,
      side: "buy",
      price: 1n,
      amount: 1n,
      postOnly: true,
    });
    expect(order).toMatchObject({
      expiry: BigInt(Math.floor(NOW_MS / 1000) + 60),
      maxFeeBps: 5,
      flags: 1,
    });
    const explicit = await sdk.buildOrder({
      marketId: 1,
      side: "buy",
      price: 1n,
      amount: 1n,
      nonce: 9n,
      expiry: 123n,
      maxFeeBps: 0,
    });
    expect(explicit).toMatchObject({ nonce: 9n, expiry: 123n, maxFeeBps: 0, flags: 0 });
  });

  it("refuses parameters out of range or contradictory", async () => {
    const sdk = client(account);
    const base = { marketId: 1, side: "buy", price: 1n, amount: 1n } as const;
    for (const bad of [
      { ...base, amount: 0n },
      { ...base, price: 1 as unknown as bigint },
      { ...base, marketId: -1 },
      { ...base, side: 2 as 0 },
      { ...base, maxFeeBps: 10_001 },
      { ...base, postOnly: true, ioc: true },
      { ...base, nonce: 1n << 64n },
    ]) {
      const error = await sdk.buildOrder(bad).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ClearmatchClientError);
      expect(error).toMatchObject({ code: "INVALID_ORDER_PARAMS" });
    }
  });
});
