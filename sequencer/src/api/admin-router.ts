/**
 * Admin routes under `/v1/admin`, all behind the bearer token (`bearer-auth.ts`). Every
 * action is logged at `warn` with its reason, as an audit trail.
 *
 * | method | path | body | answer |
 * | --- | --- | --- | --- |
 * | GET | /v1/admin/kill-switch | | `KillSwitchState` |
 * | POST | /v1/admin/kill-switch | `{ engaged: boolean, reason? }` | `KillSwitchState` |
 * | POST | /v1/admin/markets/:marketId/halt | `{ reason? }` (optional) | `MarketHalt` |
 * | POST | /v1/admin/markets/:marketId/resume | none | `{ marketId, resumed }` |
 */
import { Router } from "express";
import type { Logger } from "../logging/logger.js";
import type { AdminControls } from "../intake/admin-controls.js";
import { bearerAuth } from "./bearer-auth.js";
import { route } from "./route.js";
import {
  emptyBodySchema,
  haltBodySchema,
  killSwitchBodySchema,
  marketIdParamsSchema,
} from "./schemas.js";
import { validate } from "./validate.js";

export interface AdminRouterDeps {
  readonly adminControls: AdminControls;
  readonly logger: Logger;
  /** Unset disables every admin route (403 ADMIN_DISABLED). */
  readonly adminToken: string | undefined;
}

export function createAdminRouter(deps: AdminRouterDeps): Router {
  const { adminControls: controls, logger } = deps;
  const router = Router();
  router.use(bearerAuth(deps.adminToken));

  route(router, "/kill-switch", {
    get: (_req, res) => {
      res.json(controls.killSwitchState());
    },
    post: async (req, res) => {
      const { engaged, reason } = validate(killSwitchBodySchema, req.body, "body");
      const state = await controls.setKillSwitch(engaged, reason);
      logger.warn({ admin: "kill-switch", engaged, reason, ip: req.ip }, "admin: kill switch set");
      res.json(state);
    },
  });

  route(router, "/markets/:marketId/halt", {
    post: async (req, res) => {
      const { marketId } = validate(marketIdParamsSchema, req.params, "params");
      const { reason } = validate(haltBodySchema, req.body ?? {}, "body");
      const halt = await controls.haltMarket(marketId, reason);
      logger.warn({ admin: "halt", marketId, reason, ip: req.ip }, "admin: market halted");
      res.json(halt);
    },
  });

  route(router, "/markets/:marketId/resume", {
    post: async (req, res) => {
      const { marketId } = validate(marketIdParamsSchema, req.params, "params");
      validate(emptyBodySchema, req.body ?? {}, "body");
      const resumed = await controls.resumeMarket(marketId);
      logger.warn({ admin: "resume", marketId, resumed, ip: req.ip }, "admin: market resumed");
      res.json({ marketId, resumed });
    },
  });

  return router;
}
