/**
 * Child process of the verify-pool test: opens and closes pools with jobs in flight, `rounds`
 * times. Closing a worker in the middle of a Keccak call aborted the process (SIGABRT), so it
 * runs in a process of its own; it prints the answers it got, which all must have come back.
 */
import { VerifyPool } from "../src/crypto/verify-pool.js";

const rounds = Number(process.argv[2]);
// The pool's workers do not keep the process alive by themselves (they are unref'd).
const alive = setInterval(() => undefined, 1_000);
const job = { struct: new Uint8Array(320).fill(3), signature: `0x${"11".repeat(64)}1b` };
let answered = 0;
for (let i = 0; i < rounds; i++) {
  const pool = VerifyPool.create(1, new Uint8Array(32).fill(7))!;
  await pool.recover([job]);
  const inFlight = Array.from({ length: 20 }, () =>
    pool.recover(Array.from({ length: 30 }, () => job)),
  );
  await new Promise((resolve) => setTimeout(resolve, i % 5));
  await pool.close();
  answered += (await Promise.all(inFlight)).flat().length;
}
clearInterval(alive);
process.stdout.write(String(answered));
