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
import { settlementAbi } from "../src/chain/settlement-abi.js";
import { devAccount, fundAndDeposit } from "../src/devchain/deploy-dev-stack.js";
import { OrderHasher } from "../src/eip712/order-hasher.js";
import { clearmatchDomain, type Order } from "../src/eip712/types.js";
import { startService, type RunningService } from "../src/service/service-runtime.js";
import { eventually, startDevChain, type DevChain } from "./helpers/dev-chain.js";
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
  let wallet: Address;
  const owner = devAccount(traderIndex(0)).account;
  const stranger = devAccount(traderIndex(2)).account;

  beforeAll(async () => {
    chain = await startDevChain();
    const { WETH, USDC: usdc } = chain.stack.tokens as Record<string, Address>;
    const ownerClient = createWalletClient({
      chain: chain.stack.chain,
      transport: http(chain.node.url),
      account: owner as Account,
    });
    const send = async (hash: Hex) => {
      const receipt = await chain.stack.publicClient.waitForTransactionReceipt({ hash });
      expect(receipt.status).toBe("success");
      return receipt;
    };
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
    service = await startService(config(await serviceEnv(chain)));
    await eventually(
      () => (service.core.ledger.balance(wallet, usdc!).finalized === amount ? true : undefined),
      30_000,
      "the wallet's deposit",
    );
  }, 120_000);

  afterAll(async () => {
    await service?.stop();
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

  it("accepts and matches an order the wallet's owner signed, verified by isValidSignature", async () => {
    const ask = await signedOrder(chain, traderIndex(1), {
      side: 1,
      price: USDC(2_000n),
      amount: ONE_ETH,
    });
    expect((await post(service.url, "/v1/orders", wire(ask))).status).toBe(201);
    const bid = await walletOrder(owner, 1n);
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
});
