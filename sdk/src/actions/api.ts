/**
 * What an API action needs: something that sends one request to the sequencer's REST API and
 * answers its JSON body (`HttpTransport`, or any stand-in). Actions are plain functions over it,
 * one per file, as viem's are over its client: `ClearmatchClient` methods call them, and an app
 * that needs only a few imports just those.
 */
import type { HttpRequest } from "../http-transport.js";

export interface Api {
  request(req: HttpRequest): Promise<unknown>;
}

/** Query parameters; undefined ones are left out. */
export type Query = Record<string, string | number | bigint | undefined>;

/** `GET path?query`. */
export function get(api: Api, path: string, query?: Query): Promise<unknown> {
  return api.request({ method: "GET", path, ...(query ? { query } : {}) });
}

/** `{ limit?, after? }` of a cursor-paged list. */
export interface PageOptions {
  readonly limit?: number;
  readonly after?: string;
}

/** One page of a cursor-paged list; `nextCursor` is the next page's `after`. */
export interface Page<T> {
  readonly items: T[];
  readonly nextCursor?: string;
}

/** `{ nextCursor }` when the page body carries a string cursor, else `{}`. */
export function nextCursorOf(body: unknown): { nextCursor?: string } {
  const cursor = (body as { nextCursor?: unknown } | null)?.nextCursor;
  return typeof cursor === "string" ? { nextCursor: cursor } : {};
}
