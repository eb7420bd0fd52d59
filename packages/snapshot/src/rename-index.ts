/**
 * Rename-friendly bases: for a file new at its path, a file of the same name
 * and size in the previous snapshot (a renamed or moved directory) is linked
 * when identical and otherwise used as the delta basis. The index is built on
 * the first miss only, so a snapshot in which no file is new pays nothing.
 */
import fs from 'node:fs';
import type { BasisFinder, ListEntry } from '@tsrsync/protocol';

/** Files smaller than this are not worth a lookup. */
const MIN_SIZE = 1;

export class RenameIndex implements BasisFinder {
  #index: Map<string, Buffer> | undefined;

  constructor(private readonly dir: string | undefined) {}

  find(e: ListEntry): Buffer | undefined {
    if (this.dir === undefined || e.size < MIN_SIZE) return undefined;
    this.#index ??= this.#build(this.dir);
    return this.#index.get(key(basename(e.nameBytes), e.size));
  }

  #build(root: string): Map<string, Buffer> {
    const idx = new Map<string, Buffer>();
    const stack: Buffer[] = [Buffer.from(root)];
    while (stack.length > 0) {
      const dir = stack.pop()!;
      let ents: fs.Dirent<Buffer>[];
      try {
        ents = fs.readdirSync(dir, { withFileTypes: true, encoding: 'buffer' });
      } catch {
        continue;
      }
      for (const d of ents) {
        const full = Buffer.concat([dir, SLASH, d.name]);
        if (d.isDirectory()) stack.push(full);
        else if (d.isFile()) {
          const st = fs.lstatSync(full, { throwIfNoEntry: false });
          if (!st || st.size < MIN_SIZE) continue;
          const k = key(d.name, st.size);
          if (!idx.has(k)) idx.set(k, full);
        }
      }
    }
    return idx;
  }
}

const SLASH = Buffer.from('/');

function basename(name: Uint8Array): Uint8Array {
  const i = name.lastIndexOf(0x2f);
  return i < 0 ? name : name.subarray(i + 1);
}

function key(base: Uint8Array, size: number): string {
  return `${size}/${Buffer.from(base.buffer, base.byteOffset, base.byteLength).toString('latin1')}`;
}
