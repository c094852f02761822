import { checkFrame } from "../../src/journal/record-frame.js";

/**
 * The valid records at the start of a segment's bytes: how many, and the offset after the last
 * (what follows may be preallocated zeros or a torn record).
 */
export function validRecords(bytes: Buffer): { records: number; end: number } {
  let records = 0;
  let end = 0;
  for (let f = checkFrame(bytes, 0); f.ok; f = checkFrame(bytes, end)) {
    records++;
    end = f.end;
  }
  return { records, end };
}
