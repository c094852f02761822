/**
 * Shared fixture for the Settlement contract tests (test/settlement/*.test.ts): a Settlement
 * implementation behind an ERC1967Proxy on a fresh simulated chain, two test tokens, one market,
 * four funded traders, and helpers that sign orders, build fill trees and netted deltas the way the
 * sequencer does (DESIGN.md, "Fills, batches, deltas"), and commit batches as the v2 commit takes
 * them: real packed fills (`encodeCommitFills`) with the deltas they net to (`buildDeltas`, zero
 * entries kept), rooted in the unsorted tree the contract rebuilds (test/helpers/commit-batch.ts).
 *
 * Roles are plain accounts here; the Safe + timelock path is covered by the governance tests.
 */
import { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import { network } from "hardhat";
import {
  encodeFunctionData,
  getAddress,
  hashTypedData,
  parseEther,
  zeroHash,
  type Address,
  type Hex,
} from "viem";
import {
  FILL_LEAF_ENCODING,
  buildDeltas,
  orderTypes,
  type Delta,
  type FillLeaf,
  type Order,
} from "@clearmatch/protocol";
import { prepareCommit, type CommitMarket } from "./commit-batch.js";

// One definition of the EIP-712 types, the fill leaf encoding and the on-chain structs, shared
// with the sequencer (DESIGN.md).
/** Leaf encoding of a fill: the DESIGN.md field order. */
export const FILL_LEAF_TYPES: string[] = [...FILL_LEAF_ENCODING];
export const ORDER_TYPES = orderTypes;

export const BUY = 0;
export const SELL = 1;

/** Mirrors of OrderLib.Order, ISettlement.Fill and ISettlement.Delta. */
export type { Order, Delta };
export type Fill = FillLeaf;

export const PARAMS = {
  challengeWindow: 3_600n,
  challengeResponseWindow: 1_800n,
  withdrawalDelay: 7_200n,
  disputeTimeout: 1_200n,
  disputeBond: parseEther("0.1"),
} as const;

/** WETH/USDC: base 18 decimals, quote 6; tick 0.01 USDC, lot 0.0001 WETH (lot·tick = 10^18). */
/** Blocks between an on-chain cancel or nonce bump and the first commit it binds. */
export const CANCEL_GRACE = 5;

export const MARKET_ID = 1;
export const BASE_DECIMALS = 18;
export const ONE_BASE = 10n ** 18n;
export const TICK = 10_000n;
export const LOT = 10n ** 14n;
export const FAR_EXPIRY = 4_000_000_000n;

export const DEPOSIT_BASE = 100n * ONE_BASE;
export const DEPOSIT_QUOTE = 1_000_000n * 10n ** 6n;

export function fillValues(f: Fill) {
  return [
    f.batchId,
    f.index,
    f.makerOrderHash,
    f.takerOrderHash,
    f.maker,
    f.taker,
    f.marketId,
    f.takerSide,
    f.price,
    f.baseAmount,
    f.quoteAmount,
    f.makerFee,
    f.takerFee,
    f.makerFilledAfter,
    f.takerFilledAfter,
    f.takerFok,
    f.fokRunEnd,
  ];
}

/**
 * The fills' StandardMerkleTree and a proof per fill (in input order), leaves unsorted: the layout
 * `commitBatch` rebuilds (`StandardMerkleTree.of(values, encoding, { sortLeaves: false })`).
 */
export function buildTree(fills: Fill[]) {
  const tree = StandardMerkleTree.of(fills.map(fillValues), FILL_LEAF_TYPES, { sortLeaves: false });
  const proofs = fills.map((_, i) => tree.getProof(i) as Hex[]);
  return { tree, root: tree.root as Hex, proofs };
}

/** quote = base · price / 10^baseDecimals (exact on the grid). */
export function quoteOf(baseAmount: bigint, price: bigint) {
  return (baseAmount * price) / ONE_BASE;
}

/** Sorts strictly by (uint160 account, uint160 token), as the contract requires. */
export function sortDeltas(deltas: Delta[]) {
  const key = (d: Delta) => (BigInt(d.account) << 160n) | BigInt(d.token);
  return [...deltas].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}

/** The fixture market as the packing needs it (tokens, steps, base decimals). */
export function commitMarket(base: Address, quote: Address): CommitMarket {
  return {
    baseToken: base,
    quoteToken: quote,
    tickSize: TICK,
    lotSize: LOT,
    baseDecimals: BASE_DECIMALS,
  };
}

/**
 * Net deltas of fills: what the sequencer sends with a batch (`buildDeltas`: sorted, one per
 * (account, token) pair the fills touch, zero entries kept, as the v2 commit requires).
 */
export function deltasOf(fills: Fill[], base: Address, quote: Address, feeRecipient: Address) {
  return buildDeltas(fills, new Map([[MARKET_ID, commitMarket(base, quote)]]), feeRecipient);
}

export async function createSettlementTest() {
  const connection = await network.create();
  const { viem, networkHelpers } = connection;
  type W = Awaited<ReturnType<typeof viem.getWalletClients>>[number];
  const publicClient = await viem.getPublicClient();
  const chainId = await publicClient.getChainId();

  async function deploySettlement() {
    const all = await viem.getWalletClients();
    const pick = (i: number) => {
      const w = all[i];
      if (w === undefined) throw new Error(`no wallet client ${i}`);
      return w;
    };
    const [
      deployer,
      timelock,
      guardian,
      arbiter,
      sequencer,
      feeRecipient,
      alice,
      bob,
      carol,
      dave,
    ] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9].map(pick) as [W, W, W, W, W, W, W, W, W, W];
    const addr = (w: W) => getAddress(w.account.address);

    const base = await viem.deployContract("TestERC20", ["Wrapped Ether", "WETH", BASE_DECIMALS]);
    const quote = await viem.deployContract("TestERC20", ["USD Coin", "USDC", 6]);
    const implementation = await viem.deployContract("Settlement");
    const initParams = {
      timelock: addr(timelock),
      guardian: addr(guardian),
      arbiter: addr(arbiter),
      sequencer: addr(sequencer),
      feeRecipient: addr(feeRecipient),
      ...PARAMS,
      cancelGraceBlocks: CANCEL_GRACE,
    };
    const initData = encodeFunctionData({
      abi: implementation.abi,
      functionName: "initialize",
      args: [initParams],
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

    for (const trader of [alice, bob, carol, dave]) {
      const as = { account: trader.account };
      await base.write.mint([addr(trader), 2n * DEPOSIT_BASE]);
      await quote.write.mint([addr(trader), 2n * DEPOSIT_QUOTE]);
      await base.write.approve([settlement.address, 2n * DEPOSIT_BASE], as);
      await quote.write.approve([settlement.address, 2n * DEPOSIT_QUOTE], as);
      await settlement.write.deposit([base.address, DEPOSIT_BASE], as);
      await settlement.write.deposit([quote.address, DEPOSIT_QUOTE], as);
    }

    const domain = {
      name: "Clearmatch",
      version: "1",
      chainId,
      verifyingContract: settlement.address,
    } as const;

    /** An order of `trader` with sensible defaults (a good-till-far-future limit order). */
    const order = (trader: Address, o: Partial<Order> = {}): Order => ({
      trader,
      marketId: MARKET_ID,
      side: BUY,
      price: 2_000n * 10n ** 6n,
      amount: ONE_BASE,
      nonce: 1n,
      expiry: FAR_EXPIRY,
      maxFeeBps: 30,
      flags: 0,
      ...o,
    });
    const hashOrder = (o: Order) =>
      hashTypedData({ domain, types: ORDER_TYPES, primaryType: "Order", message: o });
    const signOrder = (wallet: W, o: Order) =>
      wallet.signTypedData({
        account: wallet.account,
        domain,
        types: ORDER_TYPES,
        primaryType: "Order",
        message: o,
      });

    /**
     * A consistent fill of `makerOrder` against `takerOrder` at the maker's price, with fees at
     * 10 bps of quote. `over` replaces any field afterwards (to forge inconsistent fills).
     */
    const fillOf = (
      makerOrder: Order,
      takerOrder: Order,
      baseAmount: bigint,
      over: Partial<Fill> = {},
    ): Fill => {
      const quoteAmount = quoteOf(baseAmount, makerOrder.price);
      return {
        batchId: 1n,
        index: 0,
        makerOrderHash: hashOrder(makerOrder),
        takerOrderHash: hashOrder(takerOrder),
        maker: makerOrder.trader,
        taker: takerOrder.trader,
        marketId: MARKET_ID,
        takerSide: takerOrder.side,
        price: makerOrder.price,
        baseAmount,
        quoteAmount,
        makerFee: quoteAmount / 1_000n,
        takerFee: quoteAmount / 1_000n,
        makerFilledAfter: baseAmount,
        takerFilledAfter: baseAmount,
        // Honest by default: the leaf claims the taker order's FOK flag as the sequencer does.
        takerFok: (takerOrder.flags & 4) !== 0,
        fokRunEnd: false,
        ...over,
      };
    };

    const markets = new Map([[MARKET_ID, commitMarket(base.address, quote.address)]]);

    /**
     * `fills` as batch `batchId` (default: the next): numbered into it, netted (unless `deltas`
     * is given), packed and rooted; nothing is sent. Throws for a fill no commit can carry.
     */
    const prepare = async (fills: Fill[], deltas?: Delta[], batchId?: bigint) =>
      prepareCommit(
        batchId ?? (await settlement.read.nextBatchId()),
        fills,
        markets,
        addr(feeRecipient),
        deltas,
      );

    /**
     * Commits `fills` as the next batch (batchId and index are set to it), packed with the deltas
     * they net to (or `deltas`); returns the numbered fills, root, proofs, deltas, packed records
     * and the transaction hash. Checks that the contract stored the root built here.
     */
    const commit = async (fills: Fill[], deltas?: Delta[]) => {
      const p = await prepare(fills, deltas);
      const hash = await settlement.write.commitBatch([p.batchId, p.packed, p.deltas], {
        account: sequencer.account,
      });
      // (Not yet mined while automine is off: nothing stored to compare.)
      const stored = (await settlement.read.batch([p.batchId])).fillsRoot;
      if (stored !== zeroHash && stored !== p.root)
        throw new Error(`batch ${p.batchId}: the contract stored root ${stored}, not ${p.root}`);
      return { ...p, hash };
    };

    /** Waits out the challenge window of the latest commit. */
    const passWindow = () => networkHelpers.time.increase(PARAMS.challengeWindow);

    /** alice sells 0.5 WETH (maker) to bob (taker buy): the plain, valid trade. */
    const simpleTrade = (over: Partial<Fill> = {}) => {
      const makerOrder = order(addr(alice), { side: SELL });
      const takerOrder = order(addr(bob), { side: BUY, price: 2_100n * 10n ** 6n });
      return { makerOrder, takerOrder, fill: fillOf(makerOrder, takerOrder, ONE_BASE / 2n, over) };
    };

    return {
      settlement,
      implementation,
      base,
      quote,
      wallets: {
        deployer,
        timelock,
        guardian,
        arbiter,
        sequencer,
        feeRecipient,
        alice,
        bob,
        carol,
        dave,
      },
      addr,
      domain,
      initParams,
      order,
      hashOrder,
      signOrder,
      fillOf,
      markets,
      prepare,
      commit,
      passWindow,
      simpleTrade,
    };
  }

  return {
    connection,
    viem,
    networkHelpers,
    publicClient,
    chainId,
    /** Fresh state per test (EVM snapshot after the first deployment). */
    load: () => networkHelpers.loadFixture(deploySettlement),
  };
}

export type SettlementTest = Awaited<ReturnType<typeof createSettlementTest>>;
export type SettlementFixture = Awaited<ReturnType<SettlementTest["load"]>>;
