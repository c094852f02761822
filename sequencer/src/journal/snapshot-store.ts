import {
  readFileSync,
  renameSync,
  unlinkSync,
  writeFileSync,
  openSync,
  fsyncSync,
  closeSync,
} from "node:fs";
import { join } from "node:path";
import { crc32 } from "node:zlib";
import type { EngineSnapshot } from "../engine/snapshot.js";
import { JournalError } from "./journal-error.js";
import { syncDir } from "./journal-writer.js";
import { listSnapshots, snapshotName } from "./segment-files.js";

/**
 * Snapshot files: `<crc32 of body, 8 hex>\n<body>`, body = JSON {seq, engine}. Written to a
 * temporary name, fsynced, renamed into place and the directory fsynced, so a snapshot file is
 * either complete or absent.
 */
export interface StoredSnapshot<S = EngineSnapshot> {
  /** Records 1..seq are reflected in `engine`. */
  seq: number;
  /** The journaled state machine's snapshot: the engine's, or the service core's. */
  engine: S;
}

export function writeSnapshot<S>(dir: string, snapshot: StoredSnapshot<S>): string {
  const body = JSON.stringify(snapshot);
  const text = `${crc32(body).toString(16).padStart(8, "0")}\n${body}`;
  const name = snapshotName(snapshot.seq);
  const tmp = join(dir, `${name}.tmp`);
  writeFileSync(tmp, text);
  const fd = openSync(tmp, "r");
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, join(dir, name));
  syncDir(dir);
  return name;
}

/** Read and verify one snapshot file; throws SNAPSHOT_CORRUPT if it does not check out. */
export function readSnapshot<S = EngineSnapshot>(dir: string, name: string): StoredSnapshot<S> {
  const text = readFileSync(join(dir, name), "utf8");
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
