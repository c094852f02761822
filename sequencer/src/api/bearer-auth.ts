/**
 * Admin authentication: `Authorization: Bearer <ADMIN_TOKEN>`, compared in constant time
 * (both sides are hashed to 32 bytes first, so neither the content nor the length of the
 * token leaks through timing). Without a configured token the admin routes are disabled.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import type { RequestHandler } from "express";
import { ClearmatchError } from "../errors/clearmatch-error.js";

function digest(value: string): Buffer {
  return createHash("sha256").update(value, "utf8").digest();
}

export function bearerAuth(token: string | undefined): RequestHandler {
  const expected = token === undefined ? undefined : digest(token);
  return (req, _res, next) => {
    if (expected === undefined) throw new ClearmatchError("ADMIN_DISABLED");
    const header = req.get("authorization") ?? "";
    const match = /^Bearer ([^\s]+)$/i.exec(header);
    const presented = digest(match?.[1] ?? "");
    // Always compare, even when the header is malformed, to keep the timing uniform.
    const ok = timingSafeEqual(presented, expected) && match !== null;
    if (!ok) throw new ClearmatchError("UNAUTHORIZED");
    next();
  };
}
