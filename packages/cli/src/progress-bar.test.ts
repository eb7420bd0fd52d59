import { describe, expect, it } from 'vitest';
import { progressBar } from './progress-bar.js';
import type { ListEntry, Reporter } from '@tsrsync/protocol';

function fakeStream(isTTY: boolean) {
  const written: string[] = [];
  const s = {
    isTTY,
    columns: 100,
    write: (x: string) => (written.push(x), true),
  } as unknown as NodeJS.WriteStream;
  return { s, written };
}

describe('overall progress bar', () => {
  it('prints nothing when stderr is not a terminal', () => {
    const { s, written } = fakeStream(false);
    expect(progressBar({ out: () => undefined, err: () => undefined }, s)).toBeUndefined();
    expect(written).toEqual([]);
  });

  it('on a terminal shows files and bytes done of the total known, and clears itself', async () => {
    const { s, written } = fakeStream(true);
    const out: string[] = [];
    const bar = progressBar({ out: (x) => out.push(x), err: () => undefined }, s)!;
    const r: Reporter = {};
    bar.attach(r);
    r.fileList!(3, 3, true, 3 * 1048576);
    const e = { size: 1048576 } as ListEntry;
    await new Promise((res) => setTimeout(res, 250));
    r.progress!(e, 1048576, 1048576, true);
    expect(written.join('')).toMatch(/1\/3 files {2}1\.0M\/3\.0M/);
    bar.io.out('a line\n');
    expect(out).toEqual(['a line\n']);
    bar.done();
    expect(written[written.length - 1]).toMatch(/^\r +\r$/);
  });
});
