import type { Side } from "./types.js";

/** One price level: a FIFO queue of order slots (a doubly linked list) and its total. */
export class Level {
  /** Sum of the open lots of the orders queued here; kept <= MAX_SAFE_INTEGER on insertion. */
  lots = 0;
  count = 0;
  /** First and last slot in the queue, -1 when empty. */
  head = -1;
  tail = -1;
  /** Input number that last touched the level, so each input reports it once. */
  stamp = 0;
  /** Id by which orders refer to the level (OrderPool), -1 until one rests on it. */
  id = -1;

  constructor(
    readonly side: Side,
    readonly ticks: number,
    /** `ticks * tickSize` in quote atoms. */
    readonly price: bigint,
  ) {}
}
