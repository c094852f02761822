import { readFile } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createWalletClient,
  encodeFunctionData,
  http,
  parseAbi,
  type Abi,
  type Account,
  type Address,
  type Hex,
} from "viem";
import { settlementAbi, OrderHasher, clearmatchDomain, type Order } from "@clearmatch/protocol";
import { devAccount, fundAndDeposit } from "../../scripts/lib/devchain/deploy-dev-stack.js";
import { startService, type RunningService } from "../src/runtime/service-runtime.js";
import { eventually, mineBlocks, startDevChain, type DevChain } from "./helpers/dev-chain.js";
import { startRpcCounter, type RpcCounter } from "./helpers/rpc-counter.js";
import {
  config,
  FAR,
  get,
  ONE_ETH,
  post,
  serviceEnv,
  signedOrder,
  traderIndex,
  USDC,
  wire,
} from "./helpers/service-kit.js";

const erc20 = parseAbi([
  "function mint(address to, uint256 amount)",
  "function approve(address spender, uint256 amount) returns (bool)",
]);
const walletAbi = parseAbi([
  "function execute(address target, bytes data) payable returns (bytes)",
]);

describe("smart-contract wallet traders (ERC-1271 through the chain)", () => {
  let chain: DevChain;
  let service: RunningService;
  let rpc: RpcCounter;
  let wallet: Address;
  const owner = devAccount(traderIndex(0)).account;
  const stranger = devAccount(traderIndex(2)).account;
  let ownerClient: ReturnType<typeof ownerWallet>;
  const ownerWallet = () =>
    createWalletClient({
      chain: chain.stack.chain,
      transport: http(chain.node.url),
      account: owner as Account,
    });
  const send = async (hash: Hex) => {
    const receipt = await chain.stack.publicClient.waitForTransactionReceipt({ hash });
    expect(receipt.status).toBe("success");
    return receipt;
  };

  beforeAll(async () => {
    chain = await startDevChain();
    const { WETH, USDC: usdc } = chain.stack.tokens as Record<string, Address>;
    ownerClient = ownerWallet();
    const artifact = JSON.parse(
      await readFile(
        "artifacts/contracts/test/TestERC1271Wallet.sol/TestERC1271Wallet.json",
        "utf8",
      ),
    ) as { abi: Abi; bytecode: Hex };
    wallet = (
      await send(await ownerClient.deployContract({ ...artifact, args: [owner.address] } as never))
    ).contractAddress!;
    // The wallet deposits 10,000 USDC through its owner.
    const amount = USDC(10_000n);
    await send(
      await ownerClient.writeContract({
        address: usdc!,
        abi: erc20,
        functionName: "mint",
        args: [wallet, amount],
      }),
    );
    for (const [target, data] of [
      [
        usdc!,
        encodeFunctionData({
          abi: erc20,
          functionName: "approve",
          args: [chain.stack.settlement, amount],
        }),
      ],
      [
        chain.stack.settlement,
        encodeFunctionData({ abi: settlementAbi, functionName: "deposit", args: [usdc!, amount] }),
      ],
    ] as const) {
      await send(
        await ownerClient.writeContract({
          address: wallet,
          abi: walletAbi,
          functionName: "execute",
          args: [target, data],
        }),
      );
    }
    await fundAndDeposit(chain.stack, chain.node.url, traderIndex(1), WETH!, 5n * ONE_ETH);
    // The service talks to the chain through a proxy that counts its calls.
    rpc = await startRpcCounter(chain.node.url);
    service = await startService(config(await serviceEnv(chain, { RPC_URL: rpc.url })));
    await eventually(
      () => (service.core.ledger.balance(wallet, usdc!).finalized === amount ? true : undefined),
      30_000,
      "the wallet's deposit",
    );
  }, 120_000);

  afterAll(async () => {
    await service?.stop();
    await rpc?.close();
    await chain?.stop();
  });

  /** A buy order for the wallet, its EIP-712 digest signed raw by `signer` (what the wallet checks). */
  async function walletOrder(signer: typeof owner, nonce: bigint) {
    const order: Order = {
      trader: wallet,
      marketId: 1,
      side: 0,
      price: USDC(2_000n),
      amount: ONE_ETH,
      nonce,
      expiry: FAR,
      maxFeeBps: 50,
      flags: 0,
    };
    const hash = new OrderHasher(
      clearmatchDomain(chain.stack.chain.id, chain.stack.settlement),
    ).hashOrder(order);
    return { order, signature: await signer.sign!({ hash }), hash };
  }

  /**
   * The wallet approves `hash` on-chain (its owner calls `approveOrder` through it), then, unless
   * `wait` is false, the chain moves past the contract's cancel grace (30 blocks on the dev chain).
   */
  async function approveOnChain(hash: Hex, wait = true) {
    const data = encodeFunctionData({
      abi: settlementAbi,
      functionName: "approveOrder",
      args: [hash],
    });
    await send(
      await ownerClient.writeContract({
        address: wallet,
        abi: walletAbi,
        functionName: "execute",
        args: [chain.stack.settlement, data],
      }),
    );
    if (wait) await mineBlocks(chain.node.url, 30);
  }

  it("refuses a wallet order its owner signed until the wallet approved it on-chain a cancel grace ago (finding 5)", async () => {
    const bid = await walletOrder(owner, 1n);
    // isValidSignature would say yes, but a wallet can revoke that later: not enough.
    let res = await post(service.url, "/v1/orders", wire(bid));
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe("BAD_SIGNATURE");
    expect(res.body.error.details.reason).toBe("NOT_APPROVED_ON_CHAIN");
    await approveOnChain(bid.hash, false);
    res = await post(service.url, "/v1/orders", wire(bid));
    expect(res.status).toBe(400);
    expect(res.body.error.details.reason).toBe("APPROVAL_TOO_RECENT");
    expect(BigInt(res.body.error.details.usableFromBlock)).toBeGreaterThan(
      await chain.stack.publicClient.getBlockNumber(),
    );
    expect((await get(service.url, `/v1/orders/${bid.hash}`)).status).toBe(404);
  });

  it("accepts and matches an order the wallet approved on-chain a cancel grace ago", async () => {
    const ask = await signedOrder(chain, traderIndex(1), {
      side: 1,
      price: USDC(2_000n),
      amount: ONE_ETH,
    });
    expect((await post(service.url, "/v1/orders", wire(ask))).status).toBe(201);
    const bid = await walletOrder(owner, 1n);
    await mineBlocks(chain.node.url, 30); // approved by the test before
    const res = await post(service.url, "/v1/orders", wire(bid));
    expect(res.status).toBe(201);
    expect(res.body.order.orderHash).toBe(bid.hash);
    const fills = await get(service.url, `/v1/accounts/${wallet}/fills`);
    expect(fills.body.fills.length).toBe(1);
  });

  it("refuses an order for the wallet signed by someone else, and changes nothing", async () => {
    const before = JSON.stringify((await get(service.url, "/v1/markets/1/book")).body);
    const forged = await walletOrder(stranger, 2n);
    const res = await post(service.url, "/v1/orders", wire(forged));
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe("BAD_SIGNATURE");
    expect(JSON.stringify((await get(service.url, "/v1/markets/1/book")).body)).toBe(before);
    expect((await get(service.url, `/v1/orders/${forged.hash}`)).status).toBe(404);
  });

  /**
   * Calls a forged signature can make the service send: code lookups (`eth_getCode`, intake's
   * only) and wallet checks (`eth_call`, which the batcher's commits also use now and then).
   */
  const codeLookups = () => rpc.count("eth_getCode");
  const calls = () => rpc.count("eth_call");

  /** The answer to `POST /v1/orders/batch` of `orders`. */
  const batch = (orders: { order: Order; signature: Hex }[]) =>
    post(service.url, "/v1/orders/batch", `{"orders":[${orders.map(wire).join(",")}]}`);

  it("refuses 100 forged orders for an EOA in one batch with at most one chain call, then none", async () => {
    const victim = devAccount(traderIndex(1)).account.address;
    const forged = async () => {
      const o = await signedOrder(chain, traderIndex(2), {
        side: 1,
        price: USDC(2_000n),
        amount: ONE_ETH / 10n,
      });
      return { order: { ...o.order, trader: victim }, signature: o.signature };
    };
    const orders = await Promise.all(Array.from({ length: 100 }, forged));
    const before = codeLookups();
    const res = await batch(orders);
    expect(res.status).toBe(200);
    expect(res.body.results).toHaveLength(100);
    for (const r of res.body.results) {
      expect(r.status).toBe(400);
      expect(r.error.code).toBe("BAD_SIGNATURE");
    }
    expect(codeLookups() - before).toBeLessThanOrEqual(1);
    // The address is known to hold no code now: forging for it costs no chain call at all.
    const again = codeLookups();
    const single = await post(service.url, "/v1/orders", wire(await forged()));
    expect(single.status).toBe(400);
    expect(single.body.error.code).toBe("BAD_SIGNATURE");
    expect((await batch(orders.slice(0, 50))).body.results[0].error.code).toBe("BAD_SIGNATURE");
    expect(codeLookups() - again).toBe(0);
  }, 60_000);

  it("refuses 100 forged orders for a contract wallet in one batch with a bounded number of chain calls", async () => {
    const orders = await Promise.all(
      Array.from({ length: 100 }, (_, i) => walletOrder(stranger, 1_000n + BigInt(i))),
    );
    const before = [codeLookups(), calls()];
    const res = await batch(orders);
    expect(res.status).toBe(200);
    for (const r of res.body.results) {
      expect(r.status).toBe(400);
      expect(r.error.code).toBe("BAD_SIGNATURE");
    }
    // A code lookup (none if cached from earlier tests) and a few refused wallet checks (the
    // default budget is 4 chain calls a request; 2 more for the batcher's own calls meanwhile).
    expect(codeLookups() - before[0]!).toBeLessThanOrEqual(1);
    expect(calls() - before[1]!).toBeLessThanOrEqual(6);
    // The wallet's own orders still pass after the forged ones.
    const genuine = await walletOrder(owner, 2_000n);
    await approveOnChain(genuine.hash);
    expect((await post(service.url, "/v1/orders", wire(genuine))).status).toBe(201);
  }, 60_000);

  it("answers a batch mixing a refused order and a forged one without an unhandled rejection", async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on("unhandledRejection", onUnhandled);
    try {
      const expired = await walletOrder(owner, 3_000n);
      const refused = { ...expired, order: { ...expired.order, expiry: 1_000n } };
      const offTick = await signedOrder(chain, traderIndex(1), {
        side: 1,
        price: USDC(2_000n) + 1n,
        amount: ONE_ETH / 10n,
      });
      const forged = await walletOrder(stranger, 3_001n);
      const res = await batch([refused, offTick, forged, forged]);
      expect(res.status).toBe(200);
      expect(res.body.results.map((r: any) => r.error?.code)).toEqual([
        "ORDER_EXPIRED",
        "TICK_VIOLATION",
        "BAD_SIGNATURE",
        "BAD_SIGNATURE",
      ]);
      await new Promise((r) => setTimeout(r, 200));
      expect(unhandled).toEqual([]);
    } finally {
      process.off("unhandledRejection", onUnhandled);
    }
  }, 60_000);
});
