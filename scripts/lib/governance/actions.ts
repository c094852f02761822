/**
 * Every governance action operators run, as one table: the CLI command, the route (which Safe,
 * through the timelock or at once), the arguments it takes and how they parse, the Settlement call
 * it encodes and the sentence signers read. The CLI's parsing and usage text, the proposal's
 * description and the tests' builders (`actions`) all come from it.
 */
import {
  encodeFunctionData,
  getAddress,
  isAddress,
  isHex,
  type Abi,
  type Address,
  type Hex,
} from "viem";
import { settlementAbi } from "@clearmatch/protocol";
import { uupsAbi } from "./contract-abis.js";
import { GovernanceError, GovernanceErrorCode } from "./errors.js";

/** Which Safe carries out an action, and how. */
export type Route = "timelock" | "guardian" | "arbiter";

/** One call on Settlement, with a human description. */
export interface GovernanceAction {
  route: Route;
  /** Stable action name (`setParameters`, `pause`, ...). */
  name: string;
  /** What it does, in words (printed, stored in the proposal). */
  description: string;
  target: Address;
  data: Hex;
}

/** How one argument is written on the command line and what it parses to. */
type Kind = "address" | "uint" | "uint32" | "hex" | readonly [yes: string, no: string];
interface Param {
  readonly name: string;
  readonly kind: Kind;
  /** Given as `--<flag>` rather than by position. */
  readonly flag?: string;
  /** The value when the flag is absent (flags only). */
  readonly default?: string;
}
type Value = Address | bigint | number | boolean | Hex;
export type ActionValues = Record<string, Value>;

interface ActionSpec {
  readonly route: Route;
  readonly name: string;
  readonly params: readonly Param[];
  readonly call: (v: ActionValues) => { abi: Abi; functionName: string; args: readonly unknown[] };
  readonly describe: (v: ActionValues) => string;
}

const settlement = (functionName: string, args: readonly unknown[] = []) => ({
  abi: settlementAbi as Abi,
  functionName,
  args,
});
const flag = (name: string, kind: Kind, dflt?: string): Param => ({
  name,
  kind,
  flag: name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`),
  ...(dflt !== undefined ? { default: dflt } : {}),
});
const arg = (name: string, kind: Kind): Param => ({ name, kind });
const PARAMETERS = [
  "challengeWindow",
  "challengeResponseWindow",
  "withdrawalDelay",
  "disputeTimeout",
  "disputeBond",
] as const;
const marketVerb = (paused: boolean, guardian: boolean): ActionSpec => ({
  route: guardian ? "guardian" : "timelock",
  name: paused ? "pauseMarket" : "unpauseMarket",
  params: [arg("marketId", "uint32")],
  call: (v) => settlement("setMarketPaused", [v["marketId"], paused]),
  describe: (v) =>
    `${paused ? "pause" : "unpause"} market ${v["marketId"]}${guardian ? " (guardian, immediate)" : ""}`,
});
const pauseVerb = (paused: boolean, guardian: boolean): ActionSpec => ({
  route: guardian ? "guardian" : "timelock",
  name: paused ? "pause" : "unpause",
  params: [],
  call: () => settlement(paused ? "pause" : "unpause"),
  describe: () =>
    `${paused ? "pause" : "unpause"} Settlement${guardian ? " (guardian, immediate)" : ""}`,
});

/** The actions, by CLI command. */
export const ACTION_TABLE: Readonly<Record<string, ActionSpec>> = {
  upgrade: {
    route: "timelock",
    name: "upgrade",
    params: [flag("implementation", "address"), flag("initData", "hex", "0x")],
    call: (v) => ({
      abi: uupsAbi as Abi,
      functionName: "upgradeToAndCall",
      args: [v["implementation"], v["initData"]],
    }),
    describe: (v) =>
      `upgrade Settlement to ${v["implementation"]}${v["initData"] === "0x" ? "" : ` calling ${String(v["initData"]).slice(0, 10)}`}`,
  },
  "set-parameters": {
    route: "timelock",
    name: "setParameters",
    params: PARAMETERS.map((p) => flag(p, "uint")),
    call: (v) =>
      settlement(
        "setParameters",
        PARAMETERS.map((p) => v[p]),
      ),
    describe: (v) =>
      `set parameters: challengeWindow ${v["challengeWindow"]}s, challengeResponseWindow ${v["challengeResponseWindow"]}s, withdrawalDelay ${v["withdrawalDelay"]}s, disputeTimeout ${v["disputeTimeout"]}s, disputeBond ${v["disputeBond"]} wei`,
  },
  "set-token-allowed": {
    route: "timelock",
    name: "setTokenAllowed",
    params: [arg("token", "address"), arg("allowed", ["true", "false"])],
    call: (v) => settlement("setTokenAllowed", [v["token"], v["allowed"]]),
    describe: (v) => `${v["allowed"] ? "allow" : "disallow"} token ${v["token"]}`,
  },
  "register-market": {
    route: "timelock",
    name: "registerMarket",
    params: [
      arg("marketId", "uint32"),
      arg("baseToken", "address"),
      arg("quoteToken", "address"),
      arg("tickSize", "uint"),
      arg("lotSize", "uint"),
    ],
    call: (v) =>
      settlement("registerMarket", [
        v["marketId"],
        v["baseToken"],
        v["quoteToken"],
        v["tickSize"],
        v["lotSize"],
      ]),
    describe: (v) =>
      `register market ${v["marketId"]}: base ${v["baseToken"]}, quote ${v["quoteToken"]}, tickSize ${v["tickSize"]}, lotSize ${v["lotSize"]}`,
  },
  "set-roles": {
    route: "timelock",
    name: "setRoles",
    params: [arg("sequencer", "address"), arg("arbiter", "address"), arg("guardian", "address")],
    call: (v) => settlement("setRoles", [v["sequencer"], v["arbiter"], v["guardian"]]),
    describe: (v) =>
      `set roles: sequencer ${v["sequencer"]}, arbiter ${v["arbiter"]}, guardian ${v["guardian"]}`,
  },
  "set-fee-recipient": {
    route: "timelock",
    name: "setFeeRecipient",
    params: [arg("feeRecipient", "address")],
    call: (v) => settlement("setFeeRecipient", [v["feeRecipient"]]),
    describe: (v) => `set fee recipient ${v["feeRecipient"]}`,
  },
  unpause: pauseVerb(false, false),
  "unpause-market": marketVerb(false, false),
  pause: pauseVerb(true, true),
  "pause-market": marketVerb(true, true),
  "guardian-unpause": pauseVerb(false, true),
  "guardian-unpause-market": marketVerb(false, true),
  "resolve-dispute": {
    route: "arbiter",
    name: "resolveDispute",
    params: [arg("disputeId", "uint"), arg("decision", ["uphold", "dismiss"])],
    call: (v) => settlement("resolveDispute", [v["disputeId"], v["decision"]]),
    describe: (v) =>
      `${v["decision"] ? "uphold" : "dismiss"} dispute ${v["disputeId"]} (arbiter, immediate)`,
  },
};

/** The action `command` builds on `target` (the Settlement proxy) from parsed `values`. */
export function buildAction(
  command: string,
  target: Address,
  values: ActionValues,
): GovernanceAction {
  const spec = specOf(command);
  const { abi, functionName, args } = spec.call(values);
  return {
    route: spec.route,
    name: spec.name,
    description: spec.describe(values),
    target: getAddress(target),
    data: encodeFunctionData({ abi, functionName, args }),
  };
}

function specOf(command: string): ActionSpec {
  const spec = ACTION_TABLE[command];
  if (!spec) {
    throw new GovernanceError(GovernanceErrorCode.BadProposal, `unknown action "${command}"`);
  }
  return spec;
}

function refuse(message: string): never {
  throw new GovernanceError(GovernanceErrorCode.BadProposal, message);
}

function parseValue(param: Param, text: string | undefined): Value {
  const what = param.flag ? `--${param.flag}` : param.name;
  const { kind } = param;
  if (Array.isArray(kind)) {
    const [yes, no] = kind as readonly [string, string];
    if (text === yes) return true;
    if (text === no) return false;
    return refuse(`${what}: expected ${yes} or ${no}, got ${text ?? "nothing"}`);
  }
  if (kind === "address") {
    if (text === undefined || !isAddress(text)) {
      refuse(`${what}: expected an address, got ${text ?? "nothing"}`);
    }
    return getAddress(text);
  }
  if (kind === "hex") {
    if (text === undefined || !isHex(text))
      refuse(`${what}: expected hex, got ${text ?? "nothing"}`);
    return text as Hex;
  }
  if (text === undefined || !/^[0-9]+$/.test(text)) {
    refuse(`${what}: expected a non-negative integer, got ${text ?? "nothing"}`);
  }
  if (kind === "uint32") {
    const n = Number(text);
    if (n > 0xffff_ffff) refuse(`${what}: expected a uint32, got ${text}`);
    return n;
  }
  return BigInt(text);
}

/** The values of `command`'s arguments: positionals in order, the others from `flags`. */
export function parseActionArgs(
  command: string,
  positionals: readonly string[],
  flags: Readonly<Record<string, string | undefined>>,
): ActionValues {
  const values: ActionValues = {};
  let next = 0;
  for (const param of specOf(command).params) {
    const text = param.flag ? (flags[param.flag] ?? param.default) : positionals[next++];
    values[param.name] = parseValue(param, text);
  }
  return values;
}

/** Usage lines of the actions on `route`, from the table. */
export function actionUsage(filter: (route: Route) => boolean): string[] {
  return Object.entries(ACTION_TABLE)
    .filter(([, spec]) => filter(spec.route))
    .map(([command, spec]) => {
      const args = spec.params.map((p) =>
        p.flag
          ? `${p.default !== undefined ? "[" : ""}--${p.flag} <${p.name}>${p.default !== undefined ? "]" : ""}`
          : Array.isArray(p.kind)
            ? `<${(p.kind as readonly string[]).join("|")}>`
            : `<${p.name}>`,
      );
      return `${command} ${args.join(" ")}`.trimEnd();
    });
}

export interface SettlementParameters {
  /** Seconds between commit and finalize. */
  challengeWindow: bigint;
  /** Seconds the sequencer has to answer a challenge. */
  challengeResponseWindow: bigint;
  /** Seconds between a withdrawal request and its execution (> the two windows above). */
  withdrawalDelay: bigint;
  /** Seconds the arbiter has to decide a dispute. */
  disputeTimeout: bigint;
  /** Dispute bond, wei. */
  disputeBond: bigint;
}

/** The table's actions as typed builders, for code (tests, scripts) that makes them directly. */
export const actions = {
  upgrade: (target: Address, implementation: Address, initData: Hex = "0x") =>
    buildAction("upgrade", target, { implementation, initData }),
  setParameters: (target: Address, p: SettlementParameters) =>
    buildAction("set-parameters", target, { ...p }),
  setTokenAllowed: (target: Address, token: Address, allowed: boolean) =>
    buildAction("set-token-allowed", target, { token, allowed }),
  registerMarket: (
    target: Address,
    m: {
      marketId: number;
      baseToken: Address;
      quoteToken: Address;
      tickSize: bigint;
      lotSize: bigint;
    },
  ) => buildAction("register-market", target, { ...m }),
  setRoles: (target: Address, r: { sequencer: Address; arbiter: Address; guardian: Address }) =>
    buildAction("set-roles", target, { ...r }),
  setFeeRecipient: (target: Address, feeRecipient: Address) =>
    buildAction("set-fee-recipient", target, { feeRecipient }),
  unpause: (target: Address) => buildAction("unpause", target, {}),
  unpauseMarket: (target: Address, marketId: number) =>
    buildAction("unpause-market", target, { marketId }),
  /** The guardian pauses, or unpauses (`paused` false), at once: neither moves a balance. */
  pause: (target: Address, paused = true) =>
    buildAction(paused ? "pause" : "guardian-unpause", target, {}),
  pauseMarket: (target: Address, marketId: number, paused = true) =>
    buildAction(paused ? "pause-market" : "guardian-unpause-market", target, { marketId }),
  resolveDispute: (target: Address, disputeId: bigint, uphold: boolean) =>
    buildAction("resolve-dispute", target, { disputeId, decision: uphold }),
} as const;
