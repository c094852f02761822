/**
 * The API's `OrderService` over the exchange core: commands go through the intake, queries read
 * the core (and the batch store for fill proofs).
 */
import {
  type AcceptedOrderView,
  type BalanceView,
  type BatchView,
  type BookView,
  type CancelResult,
  type ExchangeInfo,
  type FillProofView,
  type FillView,
  type MarketView,
  type OrderView,
  type SubmitOrderResult,
  type TradeView,
  type SignedCancel,
  type SignedOrder,
  checksumAddress,
  hashFillLeaf,
} from "@clearmatch/protocol";
import type { Address, Hex } from "viem";
import type { BatchItemResult, OrderService } from "./order-service.js";
import { ClearmatchError } from "../errors/clearmatch-error.js";
import type { Metrics } from "../metrics/metrics.js";
import type { BatchStore } from "../settlement/batch-store.js";
import type { StoredFill } from "../settlement/batcher.js";
import type { CoreBatch, CoreFill, CoreOrder } from "../core/core-types.js";
import type { ExchangeCore } from "../core/exchange-core.js";
import type { OrderIntake } from "../intake/order-intake.js";
import {
  acceptedOrdersPage,
  accountFillsPage,
  accountOrdersPage,
  batchesPage,
  marketFills,
} from "./paging.js";

export interface ClearmatchServiceDeps {
  core: ExchangeCore;
  intake: OrderIntake;
  store: BatchStore;
  metrics: Metrics;
  /** `GET /v1/info` but the expiry margin, which is the core's (set by its journal's init record). */
  info: Omit<ExchangeInfo, "orders"> & { orders: Omit<ExchangeInfo["orders"], "expiryMarginSec"> };
}

export function orderView(o: CoreOrder): OrderView {
  return {
    orderHash: o.orderHash,
    order: o.order,
    signature: o.signature,
    status: o.status,
    filled: o.filled,
    ...(o.busted ? { busted: o.busted } : {}),
    acceptedAt: o.acceptedAt,
  };
}

export function fillView(f: CoreFill): FillView {
  const e = f.fill;
  return {
    fillId: String(f.fillId),
    marketId: e.marketId,
    price: e.price,
    baseAmount: e.baseAmount,
    quoteAmount: e.quoteAmount,
    takerSide: e.takerSide,
    matchedAt: f.matchedAt,
    status: f.state.toLowerCase() as FillView["status"],
    makerOrderHash: e.makerOrderHash,
    takerOrderHash: e.takerOrderHash,
    maker: checksumAddress(e.maker),
    taker: checksumAddress(e.taker),
    makerFee: e.makerFee,
    takerFee: e.takerFee,
    ...(f.batchId !== undefined ? { batchId: f.batchId, index: f.index! } : {}),
    ...(f.bustReason !== undefined ? { bustReason: f.bustReason } : {}),
  };
}

export function batchView(b: CoreBatch, root?: Hex): BatchView {
  return {
    batchId: b.batchId,
    status: b.state === "BATCHED" ? "open" : (b.state.toLowerCase() as BatchView["status"]),
    fillCount: b.fillIds.length,
    ...(root ? { fillsRoot: root } : {}),
    ...(b.commitTx ? { commitTxHash: b.commitTx } : {}),
    ...(b.state === "FINALIZED" && b.settleTx ? { finalizeTxHash: b.settleTx } : {}),
    ...(b.committedAt !== undefined ? { committedAt: b.committedAt } : {}),
    ...(b.state === "FINALIZED" && b.settledAt !== undefined ? { finalizedAt: b.settledAt } : {}),
    ...(b.finalizableAt !== undefined ? { challengeDeadline: b.finalizableAt } : {}),
  };
}

export class ClearmatchService implements OrderService {
  constructor(private readonly deps: ClearmatchServiceDeps) {}

  async getInfo(): Promise<ExchangeInfo> {
    const { info, core } = this.deps;
    return {
      ...info,
      domain: { ...info.domain, verifyingContract: checksumAddress(info.domain.verifyingContract) },
      orders: { expiryMarginSec: core.expiryMarginSec, ...info.orders },
    };
  }

  async submitOrder(signed: SignedOrder): Promise<SubmitOrderResult> {
    // Counted (accepted and rejected) once, by the HTTP layer that answers the trader.
    const r = await this.deps.intake.submitOrder(signed);
    return {
      created: r.created !== false,
      order: orderView(r.order!),
      ...(r.fills?.length ? { fills: r.fills.map(fillView) } : {}),
    };
  }

  async submitOrders(orders: readonly SignedOrder[]): Promise<readonly BatchItemResult[]> {
    // Applied in arrival order, made durable together (one group commit, not one per order).
    const settled = await this.deps.intake.submitOrders(orders);
    return settled.map((s): BatchItemResult => {
      if (s.status === "fulfilled") {
        const r = s.value;
        const result = {
          created: r.created !== false,
          order: orderView(r.order!),
          ...(r.fills?.length ? { fills: r.fills.map(fillView) } : {}),
        };
        return { ok: true, result };
      }
      if (!(s.reason instanceof ClearmatchError)) throw s.reason;
      return { ok: false, error: s.reason };
    });
  }

  async cancel(cancel: SignedCancel): Promise<CancelResult> {
    const r = await this.deps.intake.cancel(cancel);
    return { order: orderView(this.deps.core.order(cancel.orderHash) ?? r.order!) };
  }

  async getOrder(orderHash: Hex): Promise<OrderView> {
    const o = this.deps.core.order(orderHash);
    if (!o) throw new ClearmatchError("UNKNOWN_ORDER");
    return orderView(o);
  }

  async getMarkets(): Promise<readonly MarketView[]> {
    const views: MarketView[] = [];
    for (let id = 0; id < 1024; id++) {
      const m = this.deps.core.engine.marketConfig(id);
      if (m) views.push(this.#market(id));
    }
    return views;
  }

  #market(marketId: number): MarketView {
    const { core } = this.deps;
    const m = core.engine.marketConfig(marketId);
    if (!m) throw new ClearmatchError("UNKNOWN_MARKET");
    return {
      marketId,
      baseToken: checksumAddress(m.baseToken),
      quoteToken: checksumAddress(m.quoteToken),
      baseDecimals: m.baseDecimals,
      tickSize: m.tickSize,
      lotSize: m.lotSize,
      status: core.engine.isPaused(marketId) ? "paused" : core.halt(marketId) ? "halted" : "active",
      makerFeeBps: m.makerFeeBps,
      takerFeeBps: m.takerFeeBps,
    };
  }

  async getBook(marketId: number, depth: number): Promise<BookView> {
    const d = this.deps.core.engine.depth(marketId, depth);
    if (!d) throw new ClearmatchError("UNKNOWN_MARKET");
    const level = (l: { price: bigint; size: bigint; orders: number }) => ({
      price: l.price,
      amount: l.size,
      orders: l.orders,
    });
    return {
      marketId,
      sequence: this.deps.core.bookSequence(marketId),
      bids: d.bids.map(level),
      asks: d.asks.map(level),
    };
  }

  async getTrades(marketId: number, limit: number): Promise<readonly TradeView[]> {
    if (!this.deps.core.engine.marketConfig(marketId)) throw new ClearmatchError("UNKNOWN_MARKET");
    return marketFills(this.deps.core, marketId, limit * 2)
      .filter((f) => f.state !== "ROLLED_BACK")
      .slice(0, limit)
      .map((f) => {
        const v = fillView(f);
        return {
          fillId: v.fillId,
          marketId: v.marketId,
          price: v.price,
          baseAmount: v.baseAmount,
          quoteAmount: v.quoteAmount,
          takerSide: v.takerSide,
          matchedAt: v.matchedAt,
        };
      });
  }

  async getAccountOrders(
    account: Address,
    limit: number,
    after?: string,
  ): Promise<readonly OrderView[]> {
    if (after !== undefined && !/^0x[0-9a-fA-F]{64}$/.test(after)) throw invalidCursor(after);
    const page = accountOrdersPage(this.deps.core, account, limit, after as Hex | undefined);
    if (!page) throw invalidCursor(after);
    return page.map(orderView);
  }

  async getAcceptedOrders(limit: number, after?: string): Promise<readonly AcceptedOrderView[]> {
    if (after !== undefined && !/^(0|[1-9][0-9]{0,14})$/.test(after)) throw invalidCursor(after);
    const page = acceptedOrdersPage(this.deps.core, after === undefined ? 0 : Number(after), limit);
    return page.map((o) => ({ ...orderView(o), seq: o.seq }));
  }

  async getAccountFills(
    account: Address,
    limit: number,
    after?: string,
  ): Promise<readonly FillView[]> {
    if (after !== undefined && !/^(0|[1-9][0-9]{0,14})$/.test(after)) throw invalidCursor(after);
    const page = accountFillsPage(
      this.deps.core,
      account,
      limit,
      after === undefined ? undefined : Number(after),
    );
    if (!page) throw invalidCursor(after);
    return page.map(fillView);
  }

  async getAccountBalances(account: Address): Promise<readonly BalanceView[]> {
    return this.deps.core.ledger
      .balances(account)
      .map((b) => ({ ...b, token: checksumAddress(b.token) }));
  }

  async getBatches(query: {
    limit: number;
    before?: bigint | undefined;
  }): Promise<readonly BatchView[]> {
    const out: BatchView[] = [];
    for (const b of batchesPage(this.deps.core, query.limit, query.before)) {
      out.push(batchView(b, (await this.deps.store.get(b.batchId))?.fillsRoot));
    }
    return out;
  }

  async getBatch(batchId: bigint): Promise<BatchView> {
    const b = this.deps.core.batch(batchId);
    if (!b) throw new ClearmatchError("UNKNOWN_BATCH");
    return batchView(b, (await this.deps.store.get(batchId))?.fillsRoot);
  }

  async getFillProof(fillId: string): Promise<FillProofView> {
    const { core, store } = this.deps;
    const f = /^[0-9]+$/.test(fillId) ? core.fill(Number(fillId)) : undefined;
    if (!f) throw new ClearmatchError("UNKNOWN_FILL");
    // The fill exists: without a stored batch it has no proof yet (409, not 404).
    const notBatched = (message: string) =>
      new ClearmatchError("FILL_NOT_BATCHED", message, {
        details: {
          fillId,
          state: f.state.toLowerCase(),
          ...(f.batchId === undefined ? {} : { batchId: f.batchId.toString() }),
        },
      });
    if (f.state === "ROLLED_BACK") throw notBatched("the fill was busted: it has no proof");
    if (f.batchId === undefined) throw notBatched("the fill is not in a batch (yet)");
    const record = await store.get(f.batchId);
    const stored = (record?.fills as StoredFill[] | undefined)?.find((s) => s.fillId === f.fillId);
    if (!record || !stored) throw notBatched("the fill's batch is not stored yet");
    const batch = core.batch(f.batchId)!;
    const signedOf = (hash: Hex) => {
      const o = core.order(hash)!;
      return { order: o.order, signature: o.signature, orderHash: o.orderHash };
    };
    return {
      fillId,
      leaf: stored.leaf,
      leafHash: hashFillLeaf(stored.leaf),
      proof: stored.proof as Hex[],
      batch: batchView(batch, record.fillsRoot),
      makerOrder: signedOf(f.fill.makerOrderHash),
      takerOrder: signedOf(f.fill.takerOrderHash),
    };
  }
}

function invalidCursor(after: string | undefined): ClearmatchError {
  return new ClearmatchError("INVALID_CURSOR", undefined, { details: { after } });
}
