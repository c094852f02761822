import { readFile } from "node:fs/promises";
import { join } from "node:path";
import {
  createPublicClient,
  createWalletClient,
  encodeFunctionData,
  http,
  type Abi,
  type Account,
  type Address,
  type Chain,
  type Hex,
  type PublicClient,
} from "viem";
import { mnemonicToAccount } from "viem/accounts";
import { hardhat } from "viem/chains";
import { settlementAbi, type CommitMarket } from "@clearmatch/protocol";

/** Hardhat's default development mnemonic: its accounts are funded on every simulated chain. */
export const DEV_MNEMONIC = "test test test test test test test test test test test junk";

/** Account `index` of the development mnemonic (with its private key, for signing). */
export function devAccount(index: number) {
  const account = mnemonicToAccount(DEV_MNEMONIC, { addressIndex: index });
  const key = account.getHdKey().privateKey;
  if (!key) throw new Error("no private key");
  return { account, privateKey: `0x${Buffer.from(key).toString("hex")}` as Hex };
}

/** Roles of the development stack, by dev-mnemonic account index. */
export const DEV_ROLES = {
  admin: 0, // stands in for the timelock: registers tokens and markets at once
  sequencer: 1,
  guardian: 2,
  arbiter: 3,
  feeRecipient: 4,
  firstTrader: 10,
} as const;

export interface DevMarketSpec {
  marketId: number;
  base: { symbol: string; decimals: number };
  quote: { symbol: string; decimals: number };
  tickSize: bigint;
  lotSize: bigint;
}

export interface DevStackOptions {
  /** Project root (for artifacts/). Default: the current directory. */
  root?: string;
  challengeWindow?: bigint;
  challengeResponseWindow?: bigint;
  withdrawalDelay?: bigint;
  disputeTimeout?: bigint;
  disputeBond?: bigint;
  /** Blocks between an on-chain cancel and the first commit it binds (default 30: 1 s blocks). */
  cancelGraceBlocks?: number;
  markets?: DevMarketSpec[];
}

export interface DevStack {
  chain: Chain;
  publicClient: PublicClient;
  settlement: Address;
  tokens: Record<string, Address>;
  markets: DevMarketSpec[];
  deployBlock: bigint;
}

/** One market WETH/USDC with 18/6 decimals: tick 0.01 USDC, lot 0.001 WETH. */
export const DEFAULT_DEV_MARKETS: DevMarketSpec[] = [
  {
    marketId: 1,
    base: { symbol: "WETH", decimals: 18 },
    quote: { symbol: "USDC", decimals: 6 },
    tickSize: 10_000n, // 0.01 USDC
    lotSize: 10n ** 15n, // 0.001 WETH; lot * tick = 1e19, a multiple of 1e18
  },
];

/** A dev stack's markets as the commit encoder needs them (tokens and steps), by market id. */
export function devCommitMarkets(stack: DevStack): Map<number, CommitMarket> {
  return new Map(
    stack.markets.map((m) => [
      m.marketId,
      {
        baseToken: stack.tokens[m.base.symbol]!,
        quoteToken: stack.tokens[m.quote.symbol]!,
        tickSize: m.tickSize,
        lotSize: m.lotSize,
        baseDecimals: m.base.decimals,
      },
    ]),
  );
}

async function artifact(root: string, path: string): Promise<{ abi: Abi; bytecode: Hex }> {
  const file = join(root, "artifacts", path);
  const text = await readFile(file, "utf8").catch((error: unknown) => {
    if ((error as { code?: string }).code !== "ENOENT") throw error;
    throw new Error(
      `contract artifact ${file} is missing: compile the contracts first (npm run build)`,
      {
        cause: error,
      },
    );
  });
  return JSON.parse(text) as { abi: Abi; bytecode: Hex };
}

/**
 * Deploys Settlement (behind an ERC1967 proxy), test tokens and markets on a development chain,
 * directly with viem from the compiled artifacts. Governance is an EOA here (dev account 0 as the
 * "timelock") so tests can register markets at once; the Ignition modules deploy the real Safe +
 * timelock stack.
 */
export async function deployDevStack(
  rpcUrl: string,
  options: DevStackOptions = {},
): Promise<DevStack> {
  const root = options.root ?? process.cwd();
  const chain = { ...hardhat, rpcUrls: { default: { http: [rpcUrl] } } } as Chain;
  const publicClient = createPublicClient({ chain, transport: http(rpcUrl) }) as PublicClient;
  const admin = createWalletClient({
    chain,
    transport: http(rpcUrl),
    account: devAccount(DEV_ROLES.admin).account as Account,
  });

  const deploy = async (path: string, args: unknown[]): Promise<Address> => {
    const { abi, bytecode } = await artifact(root, path);
    const hash = await admin.deployContract({ abi, bytecode, args } as never);
    const receipt = await publicClient.waitForTransactionReceipt({ hash });
    if (!receipt.contractAddress) throw new Error(`deploy ${path} failed`);
    return receipt.contractAddress;
  };
  const send = async (to: Address, data: Hex) => {
    const hash = await admin.sendTransaction({ to, data });
    const receipt = await publicClient.waitForTransactionReceipt({ hash });
    if (receipt.status !== "success") throw new Error(`call to ${to} reverted`);
  };

  const markets = options.markets ?? DEFAULT_DEV_MARKETS;
  const tokens: Record<string, Address> = {};
  for (const m of markets) {
    for (const t of [m.base, m.quote]) {
      tokens[t.symbol] ??= await deploy("contracts/test/TestERC20.sol/TestERC20.json", [
        `Test ${t.symbol}`,
        t.symbol,
        t.decimals,
      ]);
    }
  }

  const implementation = await deploy("contracts/Settlement.sol/Settlement.json", []);
  const init = encodeFunctionData({
    abi: (await artifact(root, "contracts/Settlement.sol/Settlement.json")).abi,
    functionName: "initialize",
    args: [
      {
        timelock: devAccount(DEV_ROLES.admin).account.address,
        guardian: devAccount(DEV_ROLES.guardian).account.address,
        arbiter: devAccount(DEV_ROLES.arbiter).account.address,
        sequencer: devAccount(DEV_ROLES.sequencer).account.address,
        feeRecipient: devAccount(DEV_ROLES.feeRecipient).account.address,
        challengeWindow: options.challengeWindow ?? 60n,
        challengeResponseWindow: options.challengeResponseWindow ?? 30n,
        withdrawalDelay: options.withdrawalDelay ?? 180n,
        disputeTimeout: options.disputeTimeout ?? 60n,
        disputeBond: options.disputeBond ?? 10n ** 17n,
        cancelGraceBlocks: options.cancelGraceBlocks ?? 30,
      },
    ],
  });
  const settlement = await deploy(
    "@openzeppelin/contracts/proxy/ERC1967/ERC1967Proxy.sol/ERC1967Proxy.json",
    [implementation, init],
  );
  const deployBlock = await publicClient.getBlockNumber();

  for (const token of Object.values(tokens)) {
    await send(
      settlement,
      encodeFunctionData({
        abi: settlementAbi,
        functionName: "setTokenAllowed",
        args: [token, true],
      }),
    );
  }
  for (const m of markets) {
    await send(
      settlement,
      encodeFunctionData({
        abi: settlementAbi,
        functionName: "registerMarket",
        args: [m.marketId, tokens[m.base.symbol]!, tokens[m.quote.symbol]!, m.tickSize, m.lotSize],
      }),
    );
  }
  return { chain, publicClient, settlement, tokens, markets, deployBlock };
}

/** `mint` and `approve` of the dev stack's test tokens (`TestERC20`). */
export const devTokenAbi = [
  {
    type: "function",
    name: "mint",
    stateMutability: "nonpayable",
    inputs: [
      { name: "to", type: "address" },
      { name: "amount", type: "uint256" },
    ],
    outputs: [],
  },
  {
    type: "function",
    name: "approve",
    stateMutability: "nonpayable",
    inputs: [
      { name: "spender", type: "address" },
      { name: "amount", type: "uint256" },
    ],
    outputs: [{ type: "bool" }],
  },
] as const;

/** Mints `amount` of `token` to dev account `index` and deposits it into the settlement vault. */
export async function fundAndDeposit(
  stack: DevStack,
  rpcUrl: string,
  index: number,
  token: Address,
  amount: bigint,
): Promise<void> {
  const wallet = createWalletClient({
    chain: stack.chain,
    transport: http(rpcUrl),
    account: devAccount(index).account as Account,
  });
  const calls: [Address, Hex][] = [
    [
      token,
      encodeFunctionData({
        abi: devTokenAbi,
        functionName: "mint",
        args: [wallet.account.address, amount],
      }),
    ],
    [
      token,
      encodeFunctionData({
        abi: devTokenAbi,
        functionName: "approve",
        args: [stack.settlement, amount],
      }),
    ],
    [
      stack.settlement,
      encodeFunctionData({ abi: settlementAbi, functionName: "deposit", args: [token, amount] }),
    ],
  ];
  for (const [to, data] of calls) {
    const hash = await wallet.sendTransaction({ to, data });
    const receipt = await stack.publicClient.waitForTransactionReceipt({ hash });
    if (receipt.status !== "success") throw new Error(`funding call to ${to} reverted`);
  }
}
