/**
 * `s.toLowerCase()`, without the copy when `s` is already lower case. V8's `toLowerCase` makes
 * a new string every time, even when nothing changes; the core and the ledger key their maps
 * by lower-cased order hashes and addresses, which arrive lower case from the intake
 * (`bytesToHex`) and the journal, so every order used to keep two or three copies of its
 * 66-character hash (about 120 bytes per order retained, and more garbage per request).
 */
export function lowercase<T extends string>(s: T): T {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    // ASCII upper case, or anything beyond ASCII (whose case mapping toLowerCase knows).
    if ((c >= 65 && c <= 90) || c > 127) return s.toLowerCase() as T;
  }
  return s;
}
