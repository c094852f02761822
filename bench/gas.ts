/**
 * Gas benchmark of batch settlement (`npm run bench:gas`; not a test).
 *
 * On the simulated shanghai network (EDR), deploys TestERC20 WETH/USDC, a Settlement proxy whose
 * roles are bench accounts, and 1,000 traders with real deposits. Then, for each batch shape
 * (fills x distinct traders, every trader trading), it builds fills the way the matching engine
 * emits them (random maker/taker pairs, prices on the tick, amounts on the lot, maker and taker
 * fees), cuts them into batches at the first cap reached (1,024 fills, 512 deltas by the
 * sequencer's `DeltaPairBudget`, 120,000 bytes of calldata computed exactly from the ABI
 * encoding), nets each batch with the sequencer's own `buildDeltas`, packs its fills with
 * `encodeCommitFills` (the v2 commit: the contract rebuilds leaves, root and netting from them),
 * and commits and finalizes it, reading the gas from the receipts. Per shape it reports commit,
 * finalize and per-fill gas, the commit calldata bytes, and the share of the gas that puts data
 * on-chain (EIP-2028 calldata gas of the commit transactions).
 *
 * Gas is deterministic (a seeded generator picks every amount), so the figures are comparable
 * between runs and machines. Prints a table and writes `bench/results/gas.json`.
 */
import { mkdir, writeFile } from "node:fs/promises";
import { network } from "hardhat";
import {
  encodeFunctionData,
  getAddress,
  isAddressEqual,
  keccak256,
  pad,
  toHex,
  type Address,
  type Hex,
} from "viem";
import type { FillLeaf } from "@clearmatch/protocol";
import { mulberry32 } from "../scripts/lib/mulberry32.js";
import {
  commitCalldataBytes,
  heaviestCommitFills,
  LAST_ACCOUNT,
  MAX_BATCH_DELTAS,
  MAX_BATCH_FILLS,
  MAX_COMMIT_BYTES,
  prepareCommit,
  splitByCaps,
  worstFinalizeFills,
  type CommitMarket,
} from "../test/helpers/commit-batch.js";

/** Batch shapes: fills x distinct traders, only where fills >= traders / 2 (every trader trades). */
const SHAPES: readonly { fills: number; traders: number }[] = [
  { fills: 1, traders: 2 }, // one fill has exactly two traders
  { fills: 10, traders: 2 },
  { fills: 100, traders: 10 },
  { fills: 100, traders: 100 },
  { fills: 1_000, traders: 10 },
  { fills: 1_000, traders: 100 },
  { fills: 1_000, traders: 1_000 },
];
const MAX_TRADERS = Math.max(...SHAPES.map((s) => s.traders));

/** The target: at most this much gas per fill at 1,000 fills over 100 traders. */
const TARGET = { fills: 1_000, traders: 100, gasPerFill: 5_000 } as const;

/** Published per-fill costs of other designs, for scale (figures as cited in issue 2). */
const REFERENCES = [
  {
    name: "0x v4 limit-order fill",
    gasPerFill: 113_389,
    source:
      "0x Protocol docs, 'v4 limit orders' gas table, and the 0x-protocol repository benchmarks (https://0x.org/docs/0x-limit-orders/docs/introduction)",
  },
  {
    name: "CoW Protocol trade at scale",
    gasPerFill: 60_000,
    source:
      "CoW Protocol docs and blog on batch settlement gas, about 60,000 gas per trade in large batches (https://docs.cow.fi)",
  },
] as const;

/** WETH/USDC as in the contract tests: tick 0.01 USDC, lot 0.0001 WETH (lot x tick = 10^18). */
const MARKET_ID = 1;
const BASE_DECIMALS = 18;
const ONE_BASE = 10n ** 18n;
const TICK = 10_000n;
const LOT = 10n ** 14n;
const MAKER_FEE_BPS = 2n;
const TAKER_FEE_BPS = 5n;
const DEPOSIT_BASE = 1_000n * ONE_BASE;
const DEPOSIT_QUOTE = 10_000_000n * 10n ** 6n;

const PARAMS = {
  challengeWindow: 3_600n,
  challengeResponseWindow: 1_800n,
  withdrawalDelay: 7_200n,
  disputeTimeout: 1_200n, // withdrawalDelay > window + response + dispute (enforced)
  disputeBond: 10n ** 17n,
  cancelGraceBlocks: 5,
} as const;

/** Intrinsic gas of every transaction. */
const TX_BASE_GAS = 21_000n;

/** One row of the results. */
interface Row {
  fills: number;
  traders: number;
  /** Batches the caps need for these fills (each committed and finalized). */
  batches: number;
  /** Netted (account, token) deltas the batches carry, together. */
  deltas: number;
  commitGas: bigint;
  finalizeGas: bigint;
  /** (commit + finalize) / fills. */
  gasPerFill: number;
  /** Calldata part (4 per zero byte, 16 per other byte) of commit + finalize. */
  calldataGas: bigint;
  /** Bytes of the commit transactions' input (selector, ABI head, packed fills, deltas). */
  commitCalldataBytes: number;
  /** Calldata part of the commit transactions alone: the gas that puts the batch's data on-chain. */
  commitCalldataGas: bigint;
  /** commitCalldataGas / (commit + finalize): the share of the gas spent putting data on-chain. */
  dataShare: number;
  /** commitGas / fills and finalizeGas / fills. */
  commitGasPerFill: number;
  finalizeGasPerFill: number;
  /** Execution part (total - 2 x 21,000 x batches - calldata): hashing, validation, storage. */
  executionGas: bigint;
  /** The most gas any one transaction of the row used. */
  maxTxGas: bigint;
}

function int(random: () => number, n: number): number {
  return Math.floor(random() * n);
}

/** EIP-2028 calldata cost of a transaction's input. */
function calldataGas(input: Hex): bigint {
  let gas = 0n;
  for (let i = 2; i < input.length; i += 2) gas += input.slice(i, i + 2) === "00" ? 4n : 16n;
  return gas;
}

/**
 * `fills` fills among `traders` (each trading at least once: the first ceil(n/2) fills pair a
 * shuffle of them, the rest pick random distinct pairs), priced around 2,000 USDC on the tick,
 * sized 0.0001 to 0.5 WETH on the lot, with maker and taker fees.
 */
function buildFills(batchId: bigint, fills: number, traders: readonly Address[], seed: number) {
  const random = mulberry32(seed);
  const shuffled = [...traders];
  for (let i = shuffled.length - 1; i > 0; i--) {
    const j = int(random, i + 1);
    [shuffled[i], shuffled[j]] = [shuffled[j]!, shuffled[i]!];
  }
  const n = shuffled.length;
  const out: FillLeaf[] = [];
  for (let index = 0; index < fills; index++) {
    let maker: Address;
    let taker: Address;
    if (index < Math.ceil(n / 2)) {
      maker = shuffled[2 * index]!;
      taker = shuffled[(2 * index + 1) % n]!;
    } else {
      const m = int(random, n);
      maker = shuffled[m]!;
      taker = shuffled[(m + 1 + int(random, n - 1)) % n]!;
    }
    const price = TICK * BigInt(190_000 + int(random, 20_001));
    const baseAmount = LOT * BigInt(1 + int(random, 5_000));
    const quoteAmount = (baseAmount * price) / ONE_BASE;
    out.push({
      batchId,
      index,
      makerOrderHash: keccak256(toHex(`maker ${batchId} ${index}`)),
      takerOrderHash: keccak256(toHex(`taker ${batchId} ${index}`)),
      maker,
      taker,
      marketId: MARKET_ID,
      takerSide: int(random, 2),
      price,
      baseAmount,
      quoteAmount,
      makerFee: (quoteAmount * MAKER_FEE_BPS) / 10_000n,
      takerFee: (quoteAmount * TAKER_FEE_BPS) / 10_000n,
      makerFilledAfter: baseAmount,
      takerFilledAfter: baseAmount,
      takerFok: false,
      fokRunEnd: false,
    });
  }
  return out;
}

/** A deterministic trader address that no key in the bench controls (impersonated). */
function traderAddress(i: number): Address {
  return getAddress(`0x${keccak256(toHex(`clearmatch bench trader ${i}`)).slice(26)}`);
}

async function main() {
  const connection = await network.create();
  const { viem, networkHelpers } = connection;
  const publicClient = await viem.getPublicClient();
  const [deployer, timelock, guardian, arbiter, sequencer, feeRecipient] =
    await viem.getWalletClients();
  if (!deployer || !timelock || !guardian || !arbiter || !sequencer || !feeRecipient) {
    throw new Error("the simulated network has too few accounts");
  }
  const blockGasLimit = (await publicClient.getBlock()).gasLimit;

  // ---- stack
  const base = await viem.deployContract("TestERC20", ["Wrapped Ether", "WETH", BASE_DECIMALS]);
  const quote = await viem.deployContract("TestERC20", ["USD Coin", "USDC", 6]);
  const implementation = await viem.deployContract("Settlement");
  const initData = encodeFunctionData({
    abi: implementation.abi,
    functionName: "initialize",
    args: [
      {
        timelock: timelock.account.address,
        guardian: guardian.account.address,
        arbiter: arbiter.account.address,
        sequencer: sequencer.account.address,
        feeRecipient: feeRecipient.account.address,
        ...PARAMS,
      },
    ],
  });
  const proxy = await viem.deployContract("ERC1967Proxy", [implementation.address, initData]);
  const settlement = await viem.getContractAt("Settlement", proxy.address);
  const asTimelock = { account: timelock.account };
  await settlement.write.setTokenAllowed([base.address, true], asTimelock);
  await settlement.write.setTokenAllowed([quote.address, true], asTimelock);
  await settlement.write.registerMarket(
    [MARKET_ID, base.address, quote.address, TICK, LOT],
    asTimelock,
  );
  const market: CommitMarket & { marketId: number } = {
    marketId: MARKET_ID,
    baseToken: getAddress(base.address),
    quoteToken: getAddress(quote.address),
    tickSize: TICK,
    lotSize: LOT,
    baseDecimals: BASE_DECIMALS,
  };
  const markets = new Map([[MARKET_ID, market]]);

  // ---- traders with deposits in both tokens
  process.stdout.write(`depositing for ${MAX_TRADERS} traders `);
  const traders: Address[] = [];
  for (let i = 0; i < MAX_TRADERS; i++) {
    const trader = traderAddress(i);
    traders.push(trader);
    await networkHelpers.impersonateAccount(trader);
    await networkHelpers.setBalance(trader, 10n ** 20n);
    await base.write.mint([trader, DEPOSIT_BASE]);
    await quote.write.mint([trader, DEPOSIT_QUOTE]);
    await base.write.approve([settlement.address, DEPOSIT_BASE], { account: trader });
    await quote.write.approve([settlement.address, DEPOSIT_QUOTE], { account: trader });
    await settlement.write.deposit([base.address, DEPOSIT_BASE], { account: trader });
    await settlement.write.deposit([quote.address, DEPOSIT_QUOTE], { account: trader });
    if (i % 100 === 99) process.stdout.write(".");
  }
  process.stdout.write("\n");

  /** Commits and finalizes `fills` fills in as many batches as the caps need; returns the row. */
  async function settle(fills: number, traderCount: number, seed: number): Promise<Row> {
    const all = buildFills(0n, fills, traders.slice(0, traderCount), seed);
    const fee = feeRecipient!.account.address;
    const row: Row = {
      fills,
      traders: traderCount,
      batches: 0,
      deltas: 0,
      commitGas: 0n,
      finalizeGas: 0n,
      gasPerFill: 0,
      calldataGas: 0n,
      commitCalldataBytes: 0,
      commitCalldataGas: 0n,
      dataShare: 0,
      commitGasPerFill: 0,
      finalizeGasPerFill: 0,
      executionGas: 0n,
      maxTxGas: 0n,
    };
    for (const chunk of splitByCaps(all, markets, fee)) {
      const one = await settleBatch(chunk);
      row.batches += 1;
      row.deltas += one.deltas;
      row.commitGas += one.commitGas;
      row.finalizeGas += one.finalizeGas;
      row.calldataGas += one.calldataGas;
      row.commitCalldataBytes += one.commitBytes;
      row.commitCalldataGas += one.commitCalldataGas;
      row.maxTxGas = [row.maxTxGas, one.commitGas, one.finalizeGas].reduce((a, b) =>
        a > b ? a : b,
      );
    }
    const total = row.commitGas + row.finalizeGas;
    row.gasPerFill = Math.round(Number(total) / fills);
    row.commitGasPerFill = Math.round(Number(row.commitGas) / fills);
    row.finalizeGasPerFill = Math.round(Number(row.finalizeGas) / fills);
    row.dataShare = Number(row.commitCalldataGas) / Number(total);
    row.executionGas = total - 2n * TX_BASE_GAS * BigInt(row.batches) - row.calldataGas;
    return row;
  }

  /** Commits and finalizes one batch of `chunk` (renumbered into it); returns its gas figures. */
  async function settleBatch(chunk: FillLeaf[]) {
    const batchId = await settlement.read.nextBatchId();
    const { packed, deltas, root, fills } = prepareCommit(
      batchId,
      chunk,
      markets,
      feeRecipient!.account.address,
    );
    const bytes = commitCalldataBytes(fills.length, deltas.length);
    if (bytes > MAX_COMMIT_BYTES || deltas.length > MAX_BATCH_DELTAS)
      throw new Error(`batch ${batchId} over the caps (${bytes} bytes, ${deltas.length} deltas)`);

    const commitHash = await settlement.write.commitBatch([batchId, packed, deltas], {
      account: sequencer!.account,
    });
    const commit = await publicClient.waitForTransactionReceipt({ hash: commitHash });
    if ((await settlement.read.batch([batchId])).fillsRoot !== root)
      throw new Error(`batch ${batchId}: the stored root is not the one built here`);
    await networkHelpers.time.increase(PARAMS.challengeWindow);
    const finalizeHash = await settlement.write.finalizeBatch([batchId, deltas], {
      account: deployer!.account, // anyone may finalize
    });
    const finalize = await publicClient.waitForTransactionReceipt({ hash: finalizeHash });
    const status = (await settlement.read.batch([batchId])).status;
    if (commit.status !== "success" || finalize.status !== "success" || status !== 2) {
      throw new Error(`batch ${batchId} did not finalize (status ${status})`);
    }
    const inputs = await Promise.all(
      [commitHash, finalizeHash].map((hash) => publicClient.getTransaction({ hash })),
    );
    const calldata = inputs.reduce((sum, tx) => sum + calldataGas(tx.input), 0n);
    const commitInput = inputs[0]!.input;
    if ((commitInput.length - 2) / 2 !== bytes)
      throw new Error(`batch ${batchId}: ${bytes} bytes computed, ${commitInput.length} hex sent`);
    return {
      deltas: deltas.length,
      commitGas: commit.gasUsed,
      finalizeGas: finalize.gasUsed,
      calldataGas: calldata,
      commitBytes: bytes,
      commitCalldataGas: calldataGas(commitInput),
    };
  }

  // A first batch so that no measured batch pays for the fee recipient's first credit.
  await settle(10, 10, 0);

  const rows: Row[] = [];
  for (const [i, shape] of SHAPES.entries())
    rows.push(await settle(shape.fills, shape.traders, i + 1));

  // ---- report
  const fmt = (n: bigint | number) => n.toLocaleString("en-US");
  const header = [
    "fills",
    "traders",
    "batches",
    "deltas",
    "commit gas",
    "finalize gas",
    "gas / fill",
    "commit / fill",
    "finalize / fill",
    "commit bytes",
    "calldata %",
    "data on-chain %",
  ];
  const lines = rows.map((r) => [
    fmt(r.fills),
    fmt(r.traders),
    fmt(r.batches),
    fmt(r.deltas),
    fmt(r.commitGas),
    fmt(r.finalizeGas),
    fmt(r.gasPerFill),
    fmt(r.commitGasPerFill),
    fmt(r.finalizeGasPerFill),
    fmt(r.commitCalldataBytes),
    `${((100 * Number(r.calldataGas)) / Number(r.commitGas + r.finalizeGas)).toFixed(0)}%`,
    `${(100 * r.dataShare).toFixed(0)}%`,
  ]);
  const widths = header.map((h, c) => Math.max(h.length, ...lines.map((l) => l[c]!.length)));
  const print = (cells: string[]) =>
    console.log(cells.map((cell, c) => cell.padStart(widths[c]!)).join("  "));
  console.log(
    `\nClearmatch batch settlement gas (shanghai, EDR, block gas limit ${fmt(blockGasLimit)})\n`,
  );
  print(header);
  for (const line of lines) print(line);
  console.log(
    "(calldata %: EIP-2028 calldata gas of commit and finalize over their gas; data on-chain %: " +
      "that of the commit transactions alone, which carry the packed fills and the deltas)",
  );
  console.log("\nFor scale, published per-fill costs of other designs:");
  for (const r of REFERENCES) console.log(`  ${r.name}: ${fmt(r.gasPerFill)} gas per fill`);
  console.log("Sources:");
  for (const r of REFERENCES) console.log(`  ${r.name}: ${r.source}`);

  const target = rows.find((r) => r.fills === TARGET.fills && r.traders === TARGET.traders)!;
  const met = target.gasPerFill <= TARGET.gasPerFill;
  console.log(
    `\nTarget: <= ${fmt(TARGET.gasPerFill)} gas per fill at ${fmt(TARGET.fills)} fills over ` +
      `${fmt(TARGET.traders)} traders: ${fmt(target.gasPerFill)} (${met ? "met" : "MISSED"})`,
  );
  const maxTx = rows.reduce((m, r) => (r.maxTxGas > m ? r.maxTxGas : m), 0n);

  // ---- the worst batches the caps admit (test/settlement/batch-limits.test.ts asserts the same
  // batches stay under the 15M budget). What a sender must provide is the gas limit estimateGas
  // asks for.
  // The worst finalize: 512 deltas, 510 credits to new storage slots, then the last account's two
  // debits, the last one on a token it does not hold, so finalize applies every credit and undoes
  // them all; real fills (a chain through 255 fresh traders, the fee recipient one of them) topped
  // up with round trips to the byte cap.
  const freshFee = getAddress(pad(toHex(0xfee0000), { size: 20 }));
  await settlement.write.setFeeRecipient([freshFee], asTimelock);
  const freshTraders = [
    ...Array.from({ length: 254 }, (_, i) => getAddress(pad(toHex(0x1000 + i), { size: 20 }))),
    freshFee,
  ];
  const worstId = await settlement.read.nextBatchId();
  const worst = prepareCommit(worstId, worstFinalizeFills(market, freshTraders), markets, freshFee);
  const [lastFirst] = worst.deltas.slice(-2);
  if (worst.deltas.length !== MAX_BATCH_DELTAS || !isAddressEqual(lastFirst!.account, LAST_ACCOUNT))
    throw new Error("the worst finalize batch is not what it should be");
  const lastToken = isAddressEqual(lastFirst!.token, base.address) ? base : quote;
  await networkHelpers.impersonateAccount(LAST_ACCOUNT);
  await networkHelpers.setBalance(LAST_ACCOUNT, 10n ** 20n);
  await lastToken.write.mint([LAST_ACCOUNT, -lastFirst!.delta]);
  await lastToken.write.approve([settlement.address, -lastFirst!.delta], { account: LAST_ACCOUNT });
  await settlement.write.deposit([lastToken.address, -lastFirst!.delta], {
    account: LAST_ACCOUNT,
  });
  const worstBytes = commitCalldataBytes(worst.fills.length, worst.deltas.length);
  const worstCommitGas = await publicClient.estimateContractGas({
    address: settlement.address,
    abi: settlement.abi,
    functionName: "commitBatch",
    args: [worstId, worst.packed, worst.deltas],
    account: sequencer!.account,
  });
  await settlement.write.commitBatch([worstId, worst.packed, worst.deltas], {
    account: sequencer!.account,
  });
  await networkHelpers.time.increase(PARAMS.challengeWindow);
  const worstFinalizeGas = await publicClient.estimateContractGas({
    address: settlement.address,
    abi: settlement.abi,
    functionName: "finalizeBatch",
    args: [worstId, worst.deltas],
    account: deployer!.account,
  });
  console.log(
    `\nWorst finalize the caps admit (${worst.fills.length} fills, ${worst.deltas.length} deltas, ` +
      `${fmt(worstBytes)} bytes, 510 credits to new slots, negative at the last): commit ` +
      `${fmt(worstCommitGas)}, finalize ${fmt(worstFinalizeGas)} gas asked by estimateGas ` +
      `(budget 15,000,000)`,
  );

  // The dearest commit: as many fills as the byte cap takes, alternating two markets, every field
  // wide and without zero bytes.
  const wbtc = await viem.deployContract("TestERC20", ["Wrapped Bitcoin", "WBTC", BASE_DECIMALS]);
  await settlement.write.setTokenAllowed([wbtc.address, true], asTimelock);
  const heavyMarkets = [
    { ...market, marketId: 0x01010101 },
    { ...market, marketId: 0x02020202, baseToken: getAddress(wbtc.address) },
  ] as const;
  for (const m of heavyMarkets)
    await settlement.write.registerMarket(
      [m.marketId, m.baseToken, m.quoteToken, TICK, LOT],
      asTimelock,
    );
  const heavyId = await settlement.read.nextBatchId();
  const heavy = prepareCommit(
    heavyId,
    heaviestCommitFills(heavyMarkets, traders[0]!, traders[1]!),
    new Map(heavyMarkets.map((m) => [m.marketId, m])),
    freshFee,
  );
  const heavyBytes = commitCalldataBytes(heavy.fills.length, heavy.deltas.length);
  const heavyCommitGas = await publicClient.estimateContractGas({
    address: settlement.address,
    abi: settlement.abi,
    functionName: "commitBatch",
    args: [heavyId, heavy.packed, heavy.deltas],
    account: sequencer!.account,
  });
  console.log(
    `Dearest commit the caps admit (${heavy.fills.length} fills, ${heavy.deltas.length} deltas, ` +
      `${fmt(heavyBytes)} bytes): ${fmt(heavyCommitGas)} gas asked by estimateGas`,
  );
  const worstCaseTxGas = [worstCommitGas, worstFinalizeGas, heavyCommitGas].reduce((a, b) =>
    a > b ? a : b,
  );
  console.log(`Worst case transaction: ${fmt(worstCaseTxGas)} gas (budget 15,000,000)`);
  console.log(`Largest transaction: ${fmt(maxTx)} gas (block gas limit ${fmt(blockGasLimit)})`);

  await mkdir("bench/results", { recursive: true });
  const json = {
    generatedAt: new Date().toISOString(),
    network: { type: "edr-simulated", hardfork: "shanghai", blockGasLimit },
    market: {
      baseDecimals: BASE_DECIMALS,
      tick: TICK,
      lot: LOT,
      makerFeeBps: MAKER_FEE_BPS,
      takerFeeBps: TAKER_FEE_BPS,
    },
    target: { ...TARGET, measured: target.gasPerFill, met },
    caps: {
      fills: MAX_BATCH_FILLS,
      deltas: MAX_BATCH_DELTAS,
      commitBytes: MAX_COMMIT_BYTES,
    },
    rows,
    worstCaseTxGas,
    worstCase: {
      finalize: {
        fills: worst.fills.length,
        deltas: worst.deltas.length,
        commitBytes: worstBytes,
        commitGas: worstCommitGas,
        finalizeGas: worstFinalizeGas,
      },
      commit: {
        fills: heavy.fills.length,
        deltas: heavy.deltas.length,
        commitBytes: heavyBytes,
        commitGas: heavyCommitGas,
      },
    },
    references: REFERENCES,
  };
  await writeFile(
    "bench/results/gas.json",
    `${JSON.stringify(json, (_, v: unknown) => (typeof v === "bigint" ? Number(v) : v), 2)}\n`,
  );
  console.log("Wrote bench/results/gas.json");
  await connection.close();
}

await main();
