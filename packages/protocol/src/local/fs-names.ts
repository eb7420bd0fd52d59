/** Byte-exact path handling: file names stay Uint8Array end to end (Node accepts Buffer paths). */

const SLASH = 0x2f;

export function joinPath(root: Buffer, rel: Uint8Array): Buffer {
  if (rel.length === 0 || (rel.length === 1 && rel[0] === 0x2e)) return root;
  const out = Buffer.allocUnsafe(root.length + 1 + rel.length);
  root.copy(out, 0);
  out[root.length] = SLASH;
  out.set(rel, root.length + 1);
  return out;
}

export function dirOf(rel: Uint8Array): Uint8Array {
  const i = rel.lastIndexOf(SLASH);
  return i < 0 ? new Uint8Array(0) : rel.subarray(0, i);
}

export function baseOf(rel: Uint8Array): Uint8Array {
  const i = rel.lastIndexOf(SLASH);
  return i < 0 ? rel : rel.subarray(i + 1);
}

export function concatName(dir: Uint8Array, base: Uint8Array): Uint8Array {
  if (dir.length === 0 || (dir.length === 1 && dir[0] === 0x2e)) return base;
  const out = new Uint8Array(dir.length + 1 + base.length);
  out.set(dir);
  out[dir.length] = SLASH;
  out.set(base, dir.length + 1);
  return out;
}

/** latin1 string key of a name (a Map/Set key that keeps every byte). */
export function nameKey(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('latin1');
}

/**
 * A name for messages: valid UTF-8 as is; control bytes and bytes of invalid
 * sequences escaped as rsync's log output does (`\#ooo`), so a name can never
 * inject terminal escapes.
 */
export function displayName(b: Uint8Array): string {
  let out = '';
  let i = 0;
  const esc = (c: number) => `\\#${c.toString(8).padStart(3, '0')}`;
  while (i < b.length) {
    const c = b[i]!;
    if (c < 0x80) {
      out += c < 0x20 || c === 0x7f ? esc(c) : String.fromCharCode(c);
      i++;
      continue;
    }
    const n = c >= 0xf0 && c < 0xf5 ? 4 : c >= 0xe0 ? 3 : c >= 0xc2 && c < 0xe0 ? 2 : 0;
    let ok = n > 0 && i + n <= b.length;
    for (let k = 1; ok && k < n; k++) if ((b[i + k]! & 0xc0) !== 0x80) ok = false;
    if (ok) {
      const s = new TextDecoder('utf-8', { fatal: false }).decode(b.subarray(i, i + n));
      if (s.includes('\ufffd') || /[\u0080-\u009f]/.test(s)) ok = false;
      else {
        out += s;
        i += n;
        continue;
      }
    }
    out += esc(c);
    i++;
  }
  return out;
}
