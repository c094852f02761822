/**
 * Child process of the snapshot-thread test: started with V8 flags on its command line, it runs
 * a SnapshotThread on journal `dir` and prints the snapshot it wrote at record `seq`.
 */
import { SnapshotThread } from "../src/runtime/snapshot-thread.js";

const [dir, seq] = process.argv.slice(2);
const thread = new SnapshotThread({ dir: dir! }, { warn: () => undefined, info: () => undefined });
try {
  const done = await thread.snapshot(Number(seq));
  process.stdout.write(JSON.stringify(done));
} finally {
  await thread.close();
}
