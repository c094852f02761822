import { closeSync, fsyncSync, openSync, readSync, writeSync } from "node:fs";
import { crc32 } from "node:zlib";

/**
 * A JSON value written as many short lines instead of one string, and read back the same way,
 * so that no string the size of the whole value is ever built: V8 refuses strings over 2^29
 * characters, and a service core's snapshot passes that at a few hundred thousand orders.
 *
 * Writing walks the value; each array longer than LONG_ARRAY is written element by element, one
 * line each, and stands in its parent as a placeholder `{"\u0000lines": n}`. An element is one
 * `JSON.stringify` line, long arrays inside it included, unless that line would be longer than
 * `maxLine`; then it is taken apart the same way (the lines of its own long arrays come before
 * its line). The root comes last. A line that holds
 * placeholders starts with `*`. Reading parses line after line onto a stack; a line's
 * placeholders, last first, take their elements off the top of the stack. The result equals
 * `JSON.parse(JSON.stringify(value))` for any JSON-safe value whose objects have no key
 * "\u0000lines".
 *
 * File: `CMS2 <crc32 of the rest, 8 hex>\n` then the lines, each ending in `\n` (JSON text holds
 * no raw newline). The checksum is written last, over the bytes after the header.
 */
export const LINES_MAGIC = "CMS2 ";
const HEADER_BYTES = 14;
const LONG_ARRAY = 64;
const PLACEHOLDER = "\u0000lines";
const PLACEHOLDER_JSON = JSON.stringify(PLACEHOLDER);
/** Bytes gathered before a write. */
const WRITE_CHUNK = 1 << 20;
const READ_CHUNK = 4 << 20;
const NEWLINE = 10;
const STAR = 42;

/**
 * Longest line written whole (in UTF-16 units): an element whose JSON is longer is taken apart.
 * Reading joins a long line from its chunks, so this bounds memory, not correctness.
 */
const MAX_LINE = 16 << 20;

/**
 * Write `value` to a new file at `path` (created or truncated) and fsync it. `maxLine` (default
 * 16 Mi characters) is the longest element written as one line.
 */
export function writeLines(path: string, value: unknown, maxLine = MAX_LINE): void {
  const fd = openSync(path, "w");
  try {
    let crc = 0;
    let at = HEADER_BYTES;
    let pending = "";
    const flush = () => {
      const bytes = Buffer.from(pending, "utf8");
      pending = "";
      crc = crc32(bytes, crc);
      writeAll(fd, bytes, at);
      at += bytes.length;
    };
    let placeholders = 0;
    const emit = (line: string, marked: boolean) => {
      pending += marked ? `*${line}\n` : `${line}\n`;
      if (pending.length >= WRITE_CHUNK) flush();
    };
    const encode = (v: unknown): string => {
      if (v === null || typeof v !== "object") return JSON.stringify(v) ?? "null";
      if (Array.isArray(v)) {
        if (v.length > LONG_ARRAY) {
          for (const x of v) {
            // An element is almost always small (one order, one fill): V8's own serializer
            // writes it several times faster than `encode`, and a line may hold long arrays
            // inline. Only an element longer than maxLine (or than a string can be) is taken
            // apart.
            const text = stringifyOrUndefined(x);
            if (text !== undefined && text.length <= maxLine) {
              emit(text, false);
              continue;
            }
            const before = placeholders;
            const split = encode(x);
            emit(split, placeholders !== before);
          }
          placeholders++;
          return `{${PLACEHOLDER_JSON}:${v.length}}`;
        }
        let s = "[";
        for (let i = 0; i < v.length; i++) s += (i === 0 ? "" : ",") + encode(v[i]);
        return `${s}]`;
      }
      if (typeof (v as { toJSON?: unknown }).toJSON === "function") {
        return encode((v as { toJSON: () => unknown }).toJSON());
      }
      let s = "{";
      let first = true;
      for (const k in v) {
        const x = (v as Record<string, unknown>)[k];
        if (x === undefined || typeof x === "function" || typeof x === "symbol") continue;
        s += `${first ? "" : ","}${JSON.stringify(k)}:${encode(x)}`;
        first = false;
      }
      return `${s}}`;
    };
    const before = placeholders;
    const root = encode(value);
    emit(root, placeholders !== before);
    flush();
    const header = `${LINES_MAGIC}${(crc >>> 0).toString(16).padStart(8, "0")}\n`;
    writeAll(fd, Buffer.from(header, "latin1"), 0);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Does the file start like one `writeLines` wrote? */
export function isLinesFile(path: string): boolean {
  const fd = openSync(path, "r");
  try {
    const head = Buffer.alloc(LINES_MAGIC.length);
    return (
      readSync(fd, head, 0, head.length, 0) === head.length &&
      head.toString("latin1") === LINES_MAGIC
    );
  } finally {
    closeSync(fd);
  }
}

/**
 * Read what `writeLines` wrote. Throws `Error` with a reason when the checksum or the structure
 * does not check out (the caller turns it into its own error).
 */
export function readLines(path: string): unknown {
  const fd = openSync(path, "r");
  try {
    const header = Buffer.alloc(HEADER_BYTES);
    if (readSync(fd, header, 0, HEADER_BYTES, 0) !== HEADER_BYTES) throw new Error("short header");
    const text = header.toString("latin1");
    if (!text.startsWith(LINES_MAGIC) || text[HEADER_BYTES - 1] !== "\n") {
      throw new Error("bad header");
    }
    const expected = parseInt(text.slice(LINES_MAGIC.length, HEADER_BYTES - 1), 16);
    const stack: unknown[] = [];
    let crc = 0;
    /** The start of a line that runs on past the chunks read so far (copied out of them). */
    let partial: Buffer[] = [];
    let at = HEADER_BYTES;
    const chunk = Buffer.allocUnsafe(READ_CHUNK);
    for (;;) {
      const n = readSync(fd, chunk, 0, chunk.length, at);
      if (n === 0) break;
      at += n;
      const got = chunk.subarray(0, n);
      crc = crc32(got, crc);
      let start = 0;
      for (let nl = got.indexOf(NEWLINE); nl !== -1; nl = got.indexOf(NEWLINE, start)) {
        if (partial.length === 0) readLine(got, start, nl, stack);
        else {
          // Joined once, when its end has come: a long line costs its length, not its square.
          const line = Buffer.concat([...partial, got.subarray(start, nl)]);
          partial = [];
          readLine(line, 0, line.length, stack);
        }
        start = nl + 1;
      }
      if (start < n) partial.push(Buffer.from(got.subarray(start)));
    }
    if (crc >>> 0 !== expected) throw new Error("checksum mismatch");
    if (partial.length !== 0) throw new Error("last line unterminated");
    if (stack.length !== 1) throw new Error(`${stack.length} values left, expected 1`);
    return stack[0];
  } finally {
    closeSync(fd);
  }
}

function readLine(buf: Buffer, start: number, end: number, stack: unknown[]): void {
  const marked = buf[start] === STAR;
  const value: unknown = JSON.parse(buf.toString("utf8", marked ? start + 1 : start, end));
  if (!marked) {
    stack.push(value);
    return;
  }
  // The placeholders in the order the writer met them (depth first, keys in order).
  const holes: Array<{
    parent: Record<string, unknown> | unknown[];
    key: string | number;
    n: number;
  }> = [];
  const find = (v: unknown, parent: Record<string, unknown> | unknown[], key: string | number) => {
    if (v === null || typeof v !== "object") return;
    if (!Array.isArray(v)) {
      const n = (v as Record<string, unknown>)[PLACEHOLDER];
      if (typeof n === "number" && Object.keys(v).length === 1) {
        holes.push({ parent, key, n });
        return;
      }
      for (const k in v) find((v as Record<string, unknown>)[k], v as Record<string, unknown>, k);
      return;
    }
    for (let i = 0; i < v.length; i++) find(v[i], v, i);
  };
  // The value in a one-element array, so that even a root placeholder has a parent.
  const root = [value];
  find(value, root, 0);
  for (let h = holes.length - 1; h >= 0; h--) {
    const { parent, key, n } = holes[h]!;
    if (stack.length < n) throw new Error(`a placeholder wants ${n} lines, ${stack.length} read`);
    (parent as Record<string | number, unknown>)[key] = stack.splice(stack.length - n, n);
  }
  stack.push(root[0]);
}

/** `JSON.stringify(v)` as an array element writes it, or undefined if V8 cannot make the string. */
function stringifyOrUndefined(v: unknown): string | undefined {
  try {
    return JSON.stringify(v) ?? "null";
  } catch (error) {
    if (error instanceof RangeError) return undefined;
    throw error;
  }
}

function writeAll(fd: number, bytes: Buffer, at: number): void {
  for (let off = 0; off < bytes.length;)
    off += writeSync(fd, bytes, off, bytes.length - off, at + off);
}
