/** Child process of the determinism test: prints the event hash of a generated stream. */
import { generateStream, fullMix } from "../bench/order-stream.js";
import { hashRun } from "./engine-replay-hash.js";

const [ops, seed] = process.argv.slice(2).map(Number);
const { inputs } = generateStream({ ops: ops!, seed: seed!, mix: fullMix, lifetime: 120 });
process.stdout.write(hashRun(inputs));
