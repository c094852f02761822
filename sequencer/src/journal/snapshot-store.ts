import { readdirSync, readFileSync, renameSync, unlinkSync } from "node:fs";
import { join } from "node:path";
import { crc32 } from "node:zlib";
import type { EngineSnapshot } from "../engine/snapshot.js";
import { JournalError } from "./journal-error.js";
import { syncDir } from "./journal-writer.js";
import { listSnapshots, snapshotName } from "./segment-files.js";
import { isLinesFile, readLines, writeLines } from "./snapshot-lines.js";

/**
 * Snapshot files hold JSON {seq, engine} as short lines with a crc32 (`snapshot-lines.ts`), so a
 * snapshot may be larger than the largest string V8 can make. Files of the earlier format,
 * `<crc32 of body, 8 hex>\n<body>`, are still read. Written to a temporary name, fsynced, renamed
 * into place and the directory fsynced, so a snapshot file is either complete or absent.
 */
export interface StoredSnapshot<S = EngineSnapshot> {
  /** Records 1..seq are reflected in `engine`. */
  seq: number;
  /** The journaled state machine's snapshot: the engine's, or the service core's. */
  engine: S;
}

export function writeSnapshot<S>(dir: string, snapshot: StoredSnapshot<S>): string {
  const name = snapshotName(snapshot.seq);
  const tmp = join(dir, `${name}.tmp`);
  writeLines(tmp, snapshot);
  renameSync(tmp, join(dir, name));
  syncDir(dir);
  return name;
}

/** A snapshot's temporary file (`writeSnapshot`), complete or not. */
const SNAPSHOT_TMP = /^snapshot-\d{16}\.json\.tmp$/;

/**
 * Delete the temporary files of snapshot writes that never finished (a crash between the write
 * and the rename); returns their names. Only regular files: anything else is not ours. Only the directory's owner may call it, at start-up,
 * before anything (the snapshot thread included) writes a snapshot there.
 */
export function removeStaleSnapshotTemps(dir: string): string[] {
  const stale = readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isFile() && SNAPSHOT_TMP.test(entry.name))
    .map((entry) => entry.name);
  for (const name of stale) unlinkSync(join(dir, name));
  if (stale.length > 0) syncDir(dir);
  return stale;
}

/** Read and verify one snapshot file; throws SNAPSHOT_CORRUPT if it does not check out. */
export function readSnapshot<S = EngineSnapshot>(dir: string, name: string): StoredSnapshot<S> {
  const path = join(dir, name);
  if (isLinesFile(path)) {
    try {
      return readLines(path) as StoredSnapshot<S>;
    } catch (error) {
      throw new JournalError(
        "SNAPSHOT_CORRUPT",
        `snapshot ${name} does not check out: ${(error as Error).message}`,
        { cause: error },
      );
    }
  }
  const text = readFileSync(path, "utf8");
  const nl = text.indexOf("\n");
  const body = text.slice(nl + 1);
  if (nl !== 8 || parseInt(text.slice(0, 8), 16) !== crc32(body)) {
    throw new JournalError("SNAPSHOT_CORRUPT", `snapshot ${name} fails its checksum`);
  }
  return JSON.parse(body) as StoredSnapshot<S>;
}

/** Delete all but the newest `keep` snapshots; returns the oldest kept seq (0 if none). */
export function pruneSnapshots(dir: string, keep: number): number {
  const all = listSnapshots(dir);
  const drop = all.slice(0, Math.max(0, all.length - keep));
  for (const f of drop) unlinkSync(join(dir, f.name));
  return all[drop.length]?.seq ?? 0;
}
