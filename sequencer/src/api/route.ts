/**
 * Registers one path's handlers by method, followed by a catch-all that answers OPTIONS with
 * `Allow` and any other method with 405 METHOD_NOT_ALLOWED (Express alone would say 404).
 * Register more specific paths first (`/orders/batch` before `/orders/:orderHash`).
 */
import type { RequestHandler, Router } from "express";
import { ClearmatchError } from "../errors/clearmatch-error.js";

export type RouteHandlers = Partial<Record<"get" | "post" | "delete", RequestHandler>>;

export function route(router: Router, path: string, handlers: RouteHandlers): void {
  const allow: string[] = [];
  for (const [method, handler] of Object.entries(handlers) as [
    keyof RouteHandlers,
    RequestHandler,
  ][]) {
    router[method](path, handler);
    allow.push(method.toUpperCase());
    if (method === "get") allow.push("HEAD");
  }
  const allowHeader = allow.join(", ");
  router.all(path, (req, res, next) => {
    if (req.method === "OPTIONS") {
      res.set("Allow", allowHeader).status(204).end();
      return;
    }
    next(new ClearmatchError("METHOD_NOT_ALLOWED", undefined, { details: { allow } }));
  });
}
