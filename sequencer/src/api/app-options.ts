/**
 * Options of the HTTP app, with their defaults applied here and nowhere else. The defaults
 * equal the config's (`config/config.ts`); the wiring passes the configured values.
 */
export interface AppOptions {
  /** Largest accepted request body in bytes. Default: 65536 (config MAX_BODY_BYTES). */
  readonly maxBodyBytes?: number;
  /** Most orders in one batch submission. Default: 100 (config MAX_BATCH_ORDERS). */
  readonly maxBatchOrders?: number;
  /** Bearer token of the admin routes; unset disables them. Default: unset (config ADMIN_TOKEN). */
  readonly adminToken?: string | undefined;
  /** Trust one reverse proxy's `X-Forwarded-For` for the client IP. Default: false (config TRUST_PROXY). */
  readonly trustProxy?: boolean;
  /** A readiness check slower than this counts as not ready. Default: 2000 ms. */
  readonly readinessTimeoutMs?: number;
}

export type ResolvedAppOptions = Required<Omit<AppOptions, "adminToken">> & {
  readonly adminToken: string | undefined;
};

export function resolveAppOptions(options: AppOptions = {}): ResolvedAppOptions {
  return {
    maxBodyBytes: options.maxBodyBytes ?? 65_536,
    maxBatchOrders: options.maxBatchOrders ?? 100,
    adminToken: options.adminToken === "" ? undefined : options.adminToken,
    trustProxy: options.trustProxy ?? false,
    readinessTimeoutMs: options.readinessTimeoutMs ?? 2_000,
  };
}
