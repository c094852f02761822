/**
 * One restart's replay, for `bench:engine`: `recover()` of the journal in `argv[2]` in this fresh
 * process (cold code, a heap holding nothing else), as a sequencer restarting on that journal
 * would. Prints one JSON line: records replayed and seconds taken.
 */
import { recover } from "./lib/engine-journal.js";

const [dir, capacity] = process.argv.slice(2);
if (!dir || !capacity) throw new Error("usage: replay-child.ts <journal dir> <engine capacity>");
const quiet = { warn: () => undefined, info: () => undefined };
const t = process.hrtime.bigint();
const rec = recover({ dir, log: quiet, engineOptions: { initialCapacity: Number(capacity) } });
const seconds = Number(process.hrtime.bigint() - t) / 1e9;
await rec.journal.close();
console.log(JSON.stringify({ records: rec.replayed, seconds }));
