// Exit 1 when `npm install` changed the lock file in a way that matters on this machine.
//
// The registry this project's machines reach serves some other-platform optional packages
// (native builds for darwin, win32, arm) on some days and not on others, so `npm install` may add
// or drop their lock entries while installing exactly the same tree here. Those entries are
// ignored. So is an optional entry for this platform that only one side lists: the registry has
// also been seen to start serving an optional native build for this platform (cbor-extract's, an
// accelerator cbor-x falls back from) mid-session, so `npm install` added its entry; an optional
// package never changes what the required tree resolves to. Every other difference (a version,
// an integrity of an entry both sides list, a required package, the root's dependencies) fails
// CI, which is what `npm ci` would have guaranteed.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";

const committed = JSON.parse(
  execFileSync("git", ["show", "HEAD:package-lock.json"], {
    encoding: "utf8",
    maxBuffer: 64 << 20,
  }),
);
const installed = JSON.parse(readFileSync("package-lock.json", "utf8"));

const matches = (list, value) => {
  if (!Array.isArray(list)) return true;
  const allowed = list.filter((v) => !v.startsWith("!"));
  if (list.includes(`!${value}`)) return false;
  return allowed.length === 0 || allowed.includes(value);
};
const foreign = (entry) =>
  entry.optional === true &&
  !(matches(entry.os, process.platform) && matches(entry.cpu, process.arch));

const relevant = (lock, other) => {
  const packages = {};
  for (const [path, entry] of Object.entries(lock.packages ?? {})) {
    const onlyHere = !(path in (other.packages ?? {}));
    if (!foreign(entry) && !(entry.optional === true && onlyHere)) packages[path] = entry;
  }
  return { ...lock, packages };
};
const sortDeep = (value) => {
  if (Array.isArray(value)) return value.map(sortDeep);
  if (value === null || typeof value !== "object") return value;
  return Object.fromEntries(
    Object.keys(value)
      .sort()
      .map((k) => [k, sortDeep(value[k])]),
  );
};
const stable = (lock, other) => JSON.stringify(sortDeep(relevant(lock, other)));

const a = stable(committed, installed);
const b = stable(installed, committed);
if (a !== b) {
  const pa = JSON.parse(a).packages;
  const pb = JSON.parse(b).packages;
  const changed = [...new Set([...Object.keys(pa), ...Object.keys(pb)])].filter(
    (k) => JSON.stringify(pa[k]) !== JSON.stringify(pb[k]),
  );
  console.error(
    `ci: npm install changed package-lock.json for this platform: ${changed.slice(0, 20).join(", ") || "(top level)"}`,
  );
  process.exit(1);
}
const skipped = Object.values(installed.packages ?? {}).filter(foreign).length;
console.log(
  `ci: lock file unchanged for ${process.platform}-${process.arch} (${skipped} other-platform optional entries not compared)`,
);
