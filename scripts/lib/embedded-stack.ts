/**
 * The embedded default of `npm start` and `npm run demo`: the whole stack deployed through the
 * Ignition modules (ignition/parameters/localhost.json) on a local chain, and demo traders funded
 * with test tokens deposited into the vault.
 */
import path from "node:path";
import type { DeploymentParameters } from "@nomicfoundation/ignition-core";
import { network } from "hardhat";
import {
  createWalletClient,
  encodeFunctionData,
  getAddress,
  http,
  parseAbi,
  type Account,
  type Address,
  type Hex,
} from "viem";
import { buildClearmatchModule } from "../../ignition/modules/Clearmatch.js";
import { planFromParameters, readParametersFile } from "../../ignition/lib/plan.js";
import { settlementAbi } from "@clearmatch/protocol";
import { devAccount } from "./devchain/deploy-dev-stack.js";

export const LOCAL_PARAMETERS_FILE = path.resolve("ignition", "parameters", "localhost.json");

/** Dev-mnemonic account indexes of the demo traders (0-7 hold roles in localhost.json). */
export const DEMO_TRADER_INDEXES = [10, 11, 12, 13, 14, 15];

/** Whole units of each test token every demo trader gets, deposited. */
const DEMO_FUNDING: Record<string, bigint> = { USDC: 10_000_000n, WETH: 1_000n, WBTC: 50n };

const erc20Abi = parseAbi([
  "function mint(address to, uint256 amount)",
  "function approve(address spender, uint256 amount) returns (bool)",
  "function decimals() view returns (uint8)",
]);

export interface EmbeddedStack {
  chainId: number;
  deployBlock: string;
  /** Every deployed contract by Ignition result name (`settlement`, `timelock`, `tokenUSDC`, ...). */
  addresses: Record<string, Address>;
  /** Key of the sequencer role in localhost.json (a public development key). */
  sequencerKey: Hex;
  traders: Array<{ address: Address; privateKey: Hex }>;
  markets: Array<{ marketId: number; base: string; quote: string }>;
  savedTo?: string;
}

export async function deployEmbeddedStack(
  rpcUrl: string,
  log: (message: string) => void = () => {},
): Promise<EmbeddedStack> {
  const connection = await network.create({ network: "localhost", override: { url: rpcUrl } });
  const parameters = readParametersFile(LOCAL_PARAMETERS_FILE);
  const plan = planFromParameters(parameters);
  const publicClient = await connection.viem.getPublicClient();
  const chainId = await publicClient.getChainId();

  // The watcher must see the deployment's own events (MarketRegistered, TokenAllowed): start it at
  // the first block the deployment can occupy.
  const deployBlock = (await publicClient.getBlockNumber()) + 1n;
  const contracts = await connection.ignition.deploy(buildClearmatchModule(plan), {
    parameters: parameters as DeploymentParameters,
    deploymentId: `dev-${chainId}-${Date.now()}`,
    displayUi: false,
  });
  const addresses = Object.fromEntries(
    Object.entries(contracts).map(([name, c]) => [name, (c as { address: Address }).address]),
  ) as Record<string, Address>;
  const settlement = addresses.settlement;
  if (!settlement) throw new Error("the Ignition deployment returned no settlement");

  const sequencer = devAccount(6);
  const expected = (parameters.Settlement as { sequencer?: string } | undefined)?.sequencer;
  if (!expected || getAddress(expected) !== sequencer.account.address) {
    throw new Error(`localhost.json's sequencer ${expected} is not dev account #6`);
  }

  log(`deploy: done (settlement ${settlement}, ${Object.keys(addresses).length} contracts)`);

  const traders = DEMO_TRADER_INDEXES.map((i) => devAccount(i));
  log(
    `funding traders: minting and depositing ${Object.keys(DEMO_FUNDING).join(", ")} for ${traders.length} demo traders...`,
  );
  for (const trader of traders) {
    const wallet = createWalletClient({
      chain: publicClient.chain,
      transport: http(rpcUrl),
      account: trader.account as Account,
    });
    for (const [symbol, units] of Object.entries(DEMO_FUNDING)) {
      const token = addresses[`token${symbol}`];
      if (!token) continue;
      const decimals = await publicClient.readContract({
        address: token,
        abi: erc20Abi,
        functionName: "decimals",
      });
      const amount = units * 10n ** BigInt(decimals);
      for (const [to, data] of [
        [
          token,
          encodeFunctionData({
            abi: erc20Abi,
            functionName: "mint",
            args: [trader.account.address, amount],
          }),
        ],
        [
          token,
          encodeFunctionData({
            abi: erc20Abi,
            functionName: "approve",
            args: [settlement, amount],
          }),
        ],
        [
          settlement,
          encodeFunctionData({
            abi: settlementAbi,
            functionName: "deposit",
            args: [token, amount],
          }),
        ],
      ] as const) {
        const hash = await wallet.sendTransaction({ to, data });
        const receipt = await publicClient.waitForTransactionReceipt({ hash });
        if (receipt.status !== "success")
          throw new Error(`funding ${symbol} for ${trader.account.address} failed`);
      }
    }
  }

  return {
    chainId,
    deployBlock: deployBlock.toString(),
    addresses,
    sequencerKey: sequencer.privateKey,
    traders: traders.map((t) => ({ address: t.account.address, privateKey: t.privateKey })),
    markets: plan.markets.map((m) => ({ marketId: m.marketId, base: m.base, quote: m.quote })),
  };
}
