/**
 * The archive of settled history: orders, fills and batches the exchange core no longer needs in
 * memory (`ExchangeCore` prunes them once nothing can change them: see "Retention" in
 * docs/service.md). An embedded SQLite database (`node:sqlite`) in DATA_DIR, written by the
 * snapshot thread's replica of the core as it prunes (and by the main thread before a snapshot
 * taken there: pending-history.ts), read by the API's queries.
 *
 * Writes are idempotent (`INSERT OR REPLACE` by id): a replay prunes, and so writes, the same
 * entries again. Durability follows the snapshots, not each write: a write is a WAL commit without
 * an fsync (`synchronous = NORMAL`), and `checkpoint()`, which syncs everything written so far
 * into the database file, runs before any snapshot is written. Entries pruned by records after
 * the newest snapshot are rebuilt by the journal replay, so none is ever lost.
 */
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { DatabaseSync, type StatementSync } from "node:sqlite";
import type { Address, Hex } from "viem";
import type { CoreBatch, CoreFill, CoreOrder } from "../core/core-types.js";
import type { HistoryArchive, HistoryEntries } from "../core/history.js";
import { fromTaggedJson, toTaggedJson } from "../core/service-record.js";

/** How long a statement waits for another connection's lock before failing. */
const BUSY_TIMEOUT_MS = 5_000;
/** Every archived batch's id fits SQLite's signed 64-bit integers. */
const MAX_ID = (1n << 63n) - 1n;

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS orders (
    hash TEXT PRIMARY KEY, account TEXT NOT NULL, seq INTEGER NOT NULL, data TEXT NOT NULL
  ) WITHOUT ROWID;
  CREATE INDEX IF NOT EXISTS orders_by_account ON orders (account, seq);
  CREATE INDEX IF NOT EXISTS orders_by_seq ON orders (seq);
  CREATE TABLE IF NOT EXISTS fills (
    fill_id INTEGER PRIMARY KEY, market INTEGER NOT NULL, data TEXT NOT NULL
  );
  CREATE INDEX IF NOT EXISTS fills_by_market ON fills (market, fill_id);
  CREATE TABLE IF NOT EXISTS account_fills (
    account TEXT NOT NULL, fill_id INTEGER NOT NULL, PRIMARY KEY (account, fill_id)
  ) WITHOUT ROWID;
  CREATE TABLE IF NOT EXISTS batches (batch_id INTEGER PRIMARY KEY, data TEXT NOT NULL);
`;

interface DataRow {
  data: string;
}

export class HistoryStore implements HistoryArchive {
  readonly #db: DatabaseSync;
  readonly #put: {
    order: StatementSync;
    fill: StatementSync;
    accountFill: StatementSync;
    batch: StatementSync;
  };
  readonly #get: {
    order: StatementSync;
    fill: StatementSync;
    batch: StatementSync;
    accountOrders: StatementSync;
    acceptedOrders: StatementSync;
    accountFills: StatementSync;
    marketFills: StatementSync;
    batches: StatementSync;
  };

  /** Opens (or creates) the archive at `path`; `":memory:"` for a throwaway one. */
  constructor(path: string) {
    if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true });
    // The snapshot thread writes while the main thread reads (and, for a snapshot on the main
    // thread, writes): wait for the other's lock rather than fail.
    this.#db = new DatabaseSync(path, { timeout: BUSY_TIMEOUT_MS });
    this.#db.exec("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;");
    this.#db.exec(SCHEMA);
    const db = this.#db;
    this.#put = {
      order: db.prepare(
        "INSERT OR REPLACE INTO orders (hash, account, seq, data) VALUES (?, ?, ?, ?)",
      ),
      fill: db.prepare("INSERT OR REPLACE INTO fills (fill_id, market, data) VALUES (?, ?, ?)"),
      accountFill: db.prepare(
        "INSERT OR IGNORE INTO account_fills (account, fill_id) VALUES (?, ?)",
      ),
      batch: db.prepare("INSERT OR REPLACE INTO batches (batch_id, data) VALUES (?, ?)"),
    };
    this.#get = {
      order: db.prepare("SELECT data FROM orders WHERE hash = ?"),
      fill: db.prepare("SELECT data FROM fills WHERE fill_id = ?"),
      batch: db.prepare("SELECT data FROM batches WHERE batch_id = ?"),
      accountOrders: db.prepare(
        "SELECT data FROM orders WHERE account = ? AND seq < ? ORDER BY seq DESC LIMIT ?",
      ),
      acceptedOrders: db.prepare("SELECT data FROM orders WHERE seq > ? ORDER BY seq ASC LIMIT ?"),
      accountFills: db.prepare(
        `SELECT f.data AS data FROM account_fills a JOIN fills f ON f.fill_id = a.fill_id
         WHERE a.account = ? AND a.fill_id < ? ORDER BY a.fill_id DESC LIMIT ?`,
      ),
      marketFills: db.prepare(
        "SELECT data FROM fills WHERE market = ? ORDER BY fill_id DESC LIMIT ?",
      ),
      batches: db.prepare(
        "SELECT data FROM batches WHERE batch_id < ? ORDER BY batch_id DESC LIMIT ?",
      ),
    };
  }

  /** Archives what the core pruned, in one transaction. */
  write(entries: HistoryEntries): void {
    const { orders, fills, batches } = entries;
    if (orders.length + fills.length + batches.length === 0) return;
    const put = this.#put;
    this.#db.exec("BEGIN");
    try {
      for (const o of orders) {
        put.order.run(
          o.orderHash.toLowerCase(),
          o.order.trader.toLowerCase(),
          o.seq,
          toTaggedJson(o),
        );
      }
      for (const f of fills) {
        put.fill.run(f.fillId, f.fill.marketId, toTaggedJson(f));
        put.accountFill.run(f.fill.maker.toLowerCase(), f.fillId);
        put.accountFill.run(f.fill.taker.toLowerCase(), f.fillId);
      }
      for (const b of batches) put.batch.run(b.batchId, toTaggedJson(b));
      this.#db.exec("COMMIT");
    } catch (error) {
      this.#db.exec("ROLLBACK");
      throw error;
    }
  }

  /**
   * Makes everything written so far durable: copies the write-ahead log into the database file
   * and syncs both. Called before a snapshot is written (a snapshot no longer holds what was
   * archived before it).
   */
  checkpoint(): void {
    const checkpoint = this.#db.prepare("PRAGMA wal_checkpoint(TRUNCATE)");
    // Busy (another connection held a lock past the timeout): not everything is in the database
    // file yet, so it is not durable; try again.
    for (let attempt = 1; (checkpoint.get() as { busy: number }).busy !== 0; attempt++) {
      if (attempt === 10) throw new Error("history archive: checkpoint stayed busy");
    }
  }

  close(): void {
    if (this.#db.isOpen) this.#db.close();
  }

  order(orderHash: Hex): CoreOrder | undefined {
    return one<CoreOrder>(this.#get.order.get(orderHash.toLowerCase()));
  }

  fill(fillId: number): CoreFill | undefined {
    return one<CoreFill>(this.#get.fill.get(fillId));
  }

  batch(batchId: bigint): CoreBatch | undefined {
    if (batchId < 0n || batchId > MAX_ID) return undefined;
    return one<CoreBatch>(this.#get.batch.get(batchId));
  }

  accountOrders(account: Address, beforeSeq: number, limit: number): CoreOrder[] {
    return all<CoreOrder>(this.#get.accountOrders.all(account.toLowerCase(), beforeSeq, limit));
  }

  acceptedOrders(afterSeq: number, limit: number): CoreOrder[] {
    return all<CoreOrder>(this.#get.acceptedOrders.all(afterSeq, limit));
  }

  accountFills(account: Address, beforeId: number, limit: number): CoreFill[] {
    return all<CoreFill>(this.#get.accountFills.all(account.toLowerCase(), beforeId, limit));
  }

  marketFills(marketId: number, limit: number): CoreFill[] {
    return all<CoreFill>(this.#get.marketFills.all(marketId, limit));
  }

  batches(before: bigint, limit: number): CoreBatch[] {
    const bound = before > MAX_ID ? MAX_ID : before;
    return all<CoreBatch>(this.#get.batches.all(bound, limit));
  }
}

function one<T>(row: unknown): T | undefined {
  return row === undefined ? undefined : fromTaggedJson<T>((row as DataRow).data);
}

function all<T>(rows: unknown[]): T[] {
  return rows.map((row) => fromTaggedJson<T>((row as DataRow).data));
}
