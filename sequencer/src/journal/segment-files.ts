import { readdirSync } from "node:fs";

/**
 * File names in a journal directory. Sequence numbers are zero-padded so names sort by number:
 *   journal-<first seq>.log     records from that sequence number on
 *   snapshot-<seq>.json         engine state after applying records 1..seq
 */
const SEGMENT = /^journal-(\d{16})\.log$/;
const SNAPSHOT = /^snapshot-(\d{16})\.json$/;

export function segmentName(firstSeq: number): string {
  return `journal-${String(firstSeq).padStart(16, "0")}.log`;
}

export function snapshotName(seq: number): string {
  return `snapshot-${String(seq).padStart(16, "0")}.json`;
}

export interface NumberedFile {
  name: string;
  seq: number;
}

/** Segments in `dir`, ascending by first sequence number. */
export function listSegments(dir: string): NumberedFile[] {
  return list(dir, SEGMENT);
}

/** Snapshots in `dir`, ascending by sequence number. */
export function listSnapshots(dir: string): NumberedFile[] {
  return list(dir, SNAPSHOT);
}

function list(dir: string, pattern: RegExp): NumberedFile[] {
  const out: NumberedFile[] = [];
  for (const name of readdirSync(dir)) {
    const m = pattern.exec(name);
    if (m) out.push({ name, seq: Number(m[1]) });
  }
  return out.sort((a, b) => a.seq - b.seq);
}
