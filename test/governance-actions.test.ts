/**
 * The governance action table: each command's arguments parse from a command line as the CLI
 * passes them, encode the Settlement (or UUPS) call the route carries, and describe it as signers
 * read it; malformed arguments are refused with BAD_PROPOSAL before any proposal exists.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { decodeFunctionData, type Abi, type Address } from "viem";
import { settlementAbi } from "@clearmatch/protocol";
import {
  ACTION_TABLE,
  actions,
  buildAction,
  parseActionArgs,
} from "../scripts/lib/governance/actions.js";
import { uupsAbi } from "../scripts/lib/governance/contract-abis.js";
import { GovernanceError } from "../scripts/lib/governance/errors.js";

const SETTLEMENT = "0x5FbDB2315678afecb367f032d93F642f64180aa3" as Address;
const A = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";
const B = "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC";

/** A valid command line per command: positionals and flags. */
const SAMPLES: Record<string, { args: string[]; flags?: Record<string, string> }> = {
  upgrade: { args: [], flags: { implementation: A } },
  "set-parameters": {
    args: [],
    flags: {
      "challenge-window": "3600",
      "challenge-response-window": "1800",
      "withdrawal-delay": "604800",
      "dispute-timeout": "86400",
      "dispute-bond": "1000000000000000000",
    },
  },
  "set-token-allowed": { args: [A, "true"] },
  "register-market": { args: ["7", A, B, "1000", "10"] },
  "set-roles": { args: [A, B, A] },
  "set-fee-recipient": { args: [B] },
  unpause: { args: [] },
  "unpause-market": { args: ["7"] },
  pause: { args: [] },
  "pause-market": { args: ["7"] },
  "guardian-unpause": { args: [] },
  "guardian-unpause-market": { args: ["7"] },
  "resolve-dispute": { args: ["3", "uphold"] },
};

const refusal = (fn: () => unknown) =>
  assert.throws(fn, (e) => e instanceof GovernanceError && e.code === "BAD_PROPOSAL");

describe("governance action table", () => {
  it("has a sample for every command, and each encodes a call its ABI decodes", () => {
    assert.deepEqual(Object.keys(SAMPLES).sort(), Object.keys(ACTION_TABLE).sort());
    for (const [command, sample] of Object.entries(SAMPLES)) {
      const values = parseActionArgs(command, sample.args, sample.flags ?? {});
      const action = buildAction(command, SETTLEMENT, values);
      const abi = (command === "upgrade" ? uupsAbi : settlementAbi) as Abi;
      const call = decodeFunctionData({ abi, data: action.data });
      assert.ok(call.functionName, command);
      assert.equal(action.target, SETTLEMENT);
      assert.equal(action.route, ACTION_TABLE[command]!.route);
    }
  });

  it("parses as the contract takes them, and builds what the typed builders build", () => {
    const market = buildAction(
      "register-market",
      SETTLEMENT,
      parseActionArgs("register-market", SAMPLES["register-market"]!.args, {}),
    );
    const call = decodeFunctionData({ abi: settlementAbi, data: market.data });
    assert.deepEqual(call.args, [7, A, B, 1000n, 10n]);
    assert.deepEqual(
      market,
      actions.registerMarket(SETTLEMENT, {
        marketId: 7,
        baseToken: A,
        quoteToken: B,
        tickSize: 1000n,
        lotSize: 10n,
      }),
    );
    assert.equal(actions.pause(SETTLEMENT).description, "pause Settlement (guardian, immediate)");
    assert.equal(actions.pauseMarket(SETTLEMENT, 7, false).name, "unpauseMarket");
    assert.equal(
      actions.resolveDispute(SETTLEMENT, 3n, false).description,
      "dismiss dispute 3 (arbiter, immediate)",
    );
    const upgrade = parseActionArgs("upgrade", [], { implementation: A });
    assert.equal(upgrade["initData"], "0x");
  });

  it("refuses malformed arguments and unknown actions with BAD_PROPOSAL", () => {
    refusal(() => parseActionArgs("set-token-allowed", ["0x12", "true"], {}));
    refusal(() => parseActionArgs("set-token-allowed", [A, "yes"], {}));
    refusal(() => parseActionArgs("register-market", ["-1", A, B, "1", "1"], {}));
    refusal(() => parseActionArgs("register-market", ["4294967296", A, B, "1", "1"], {}));
    refusal(() => parseActionArgs("set-parameters", [], { "challenge-window": "1" }));
    refusal(() => parseActionArgs("upgrade", [], { implementation: A, "init-data": "zz" }));
    refusal(() => parseActionArgs("self-destruct", [], {}));
  });
});
