import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FileListDecoder, FileListEncoder } from '../flist/file-entry.js';
import { WireReader } from '../wire/reader.js';
import { WireWriter } from '../wire/writer.js';
import { parseChmod, tweakMode, type ChmodRule } from './chmod.js';

const FILE = 0o100000;
const DIR = 0o040000;
const LINK = 0o120000;
const FIFO = 0o010000;

function rules(spec: string, umask = 0o022): ChmodRule[] {
  const r = parseChmod(spec, umask);
  if (!r) throw new Error(`spec rejected: ${spec}`);
  return r;
}
const tweak = (spec: string, mode: number, umask = 0o022): number => tweakMode(mode, rules(spec, umask));

/**
 * [spec, umask, mode before, mode after], worked out from chmod.c:parse_chmod()
 * and tweak_mode() (the AND/OR masks each item becomes, applied in order).
 */
const CASES: [string, number, number, number][] = [
  // octal: every permission bit replaced, the type kept
  ['644', 0o022, FILE | 0o755, FILE | 0o644],
  ['644', 0o022, DIR | 0o700, DIR | 0o644],
  ['0', 0o022, DIR | 0o4755, DIR | 0],
  ['07777', 0o022, FILE | 0o600, FILE | 0o7777],
  ['0000640', 0o077, FILE | 0o777, FILE | 0o640],
  // D / F scopes (a fifo is not a directory, so F applies)
  ['D2775,F664', 0o022, DIR | 0o700, DIR | 0o2775],
  ['D2775,F664', 0o022, FILE | 0o600, FILE | 0o664],
  ['D2775,F664', 0o022, FILE | 0o755, FILE | 0o664],
  ['F600', 0o022, FIFO | 0o644, FIFO | 0o600],
  ['D700', 0o022, FIFO | 0o644, FIFO | 0o644],
  ['DD+x', 0o022, DIR | 0o600, DIR | 0o711],
  ['uD+x', 0o022, DIR | 0o600, DIR | 0o700],
  ['uD+x', 0o022, FILE | 0o600, FILE | 0o600],
  // X: directories, and files executable before the rules started
  ['ug+rwX,o-rwx', 0o022, FILE | 0o600, FILE | 0o660],
  ['ug+rwX,o-rwx', 0o022, FILE | 0o755, FILE | 0o770],
  ['ug+rwX,o-rwx', 0o022, DIR | 0o700, DIR | 0o770],
  ['Fa-x', 0o022, FILE | 0o755, FILE | 0o644],
  ['Fa-x', 0o022, DIR | 0o755, DIR | 0o755],
  ['u=rwX,go=rX', 0o022, FILE | 0o600, FILE | 0o644],
  ['u=rwX,go=rX', 0o022, FILE | 0o700, FILE | 0o755],
  ['u=rwX,go=rX', 0o022, DIR | 0o700, DIR | 0o755],
  ['a+X', 0o022, FILE | 0o644, FILE | 0o644],
  ['a+X', 0o022, FILE | 0o744, FILE | 0o755],
  ['a+X', 0o022, DIR | 0o700, DIR | 0o711],
  ['a=rX', 0o022, FILE | 0o640, FILE | 0o444],
  ['a-X', 0o022, FILE | 0o755, FILE | 0o644],
  // X sees the mode before the first rule, not after `u+x`
  ['u+x,a+X', 0o022, FILE | 0o644, FILE | 0o744],
  // no class named: the umask limits the bits
  ['+w', 0o022, FILE | 0o444, FILE | 0o644],
  ['+w', 0o002, FILE | 0o444, FILE | 0o664],
  ['=r', 0o077, FILE | 0o777, FILE | 0o400],
  ['-w', 0o022, FILE | 0o666, FILE | 0o466],
  ['+x', 0o077, DIR | 0o600, DIR | 0o700],
  ['Da+X,F-x', 0o022, DIR | 0o600, DIR | 0o711],
  ['Da+X,F-x', 0o022, FILE | 0o755, FILE | 0o644],
  // `=` with nothing after it clears the classes' rwx; set-id bits stay
  ['go=', 0o022, FILE | 0o755, FILE | 0o700],
  ['a=', 0o022, FILE | 0o6755, FILE | 0o6000],
  ['a=rwx', 0o022, FILE | 0o6755, FILE | 0o6777],
  ['u=', 0o022, FILE | 0o4755, FILE | 0o4055],
  // copying a class's bits
  ['g=u', 0o022, FILE | 0o754, FILE | 0o774],
  ['g=u', 0o022, FILE | 0o2754, FILE | 0o774],
  ['o-u', 0o022, FILE | 0o757, FILE | 0o750],
  ['go+u', 0o022, FILE | 0o700, FILE | 0o777],
  ['+u', 0o022, FILE | 0o700, FILE | 0o755],
  ['=g', 0o022, FILE | 0o4750, FILE | 0o555],
  // set-id and sticky bits
  ['u+s', 0o022, FILE | 0o755, FILE | 0o4755],
  ['g+s', 0o022, DIR | 0o755, DIR | 0o2755],
  ['a+s', 0o022, FILE | 0o755, FILE | 0o6755],
  ['ug+s', 0o022, FILE | 0o755, FILE | 0o6755],
  ['o+s', 0o022, FILE | 0o755, FILE | 0o4755],
  ['+s', 0o022, FILE | 0o755, FILE | 0o4755],
  ['+t', 0o022, DIR | 0o777, DIR | 0o1777],
  ['+st', 0o022, DIR | 0o777, DIR | 0o5777],
  ['+ts', 0o022, DIR | 0o777, DIR | 0o4777],
  ['a-s', 0o022, FILE | 0o7755, FILE | 0o1755],
  ['u=s', 0o022, FILE | 0o755, FILE | 0o4055],
  ['g=rs', 0o022, FILE | 0o6777, FILE | 0o6747],
  ['o=t', 0o022, DIR | 0o777, DIR | 0o1770],
  ['Dg+s,Fo-rwx', 0o022, DIR | 0o750, DIR | 0o2750],
  ['Dg+s,Fo-rwx', 0o022, FILE | 0o644, FILE | 0o640],
  // empty operators change nothing
  ['+', 0o022, FILE | 0o644, FILE | 0o644],
  ['u-', 0o022, FILE | 0o644, FILE | 0o644],
  // in order: a later item sees the earlier ones' result
  ['a-w,u+w', 0o022, FILE | 0o666, FILE | 0o644],
  ['g=u,u=rw', 0o022, FILE | 0o755, FILE | 0o675],
];

const INVALID = [
  '',
  ',',
  'a+x,',
  ',a+x',
  'a+x,,g+w',
  'u',
  'ug',
  'D',
  'DF+x',
  'FD644',
  'u644',
  '8',
  '0778',
  '17777',
  '644x',
  'u+x-w',
  'u+r+w',
  'u+ug',
  'u+ru',
  'u+uw',
  'u+us',
  'u+sg',
  'u+q',
  '+D',
  'u+X,F',
  'A+x',
  ' a+x',
];

describe('parseChmod + tweakMode (chmod.c)', () => {
  it.each(CASES)('%s (umask %o): %o -> %o', (spec, umask, before, after) => {
    expect(tweak(spec, before, umask).toString(8)).toBe(after.toString(8));
  });

  it.each(INVALID)('rejects %j', (spec) => {
    expect(parseChmod(spec, 0o022)).toBeUndefined();
  });

  it('gives one rule per item, in order', () => {
    expect(rules('D2775,F664,ug+rwX').map((r) => [r.scope, r.op])).toEqual([
      ['dirs', 'octal'],
      ['files', 'octal'],
      ['all', '+'],
    ]);
  });

  it('leaves the type bits alone, even of a symlink (callers skip those)', () => {
    expect(tweak('0', LINK | 0o777)).toBe(LINK);
    expect(tweak('u+s', 0o060000 | 0o660)).toBe(0o060000 | 0o4660);
  });
});

/** A random item in the symbolic syntax, without `X` and class copies. */
const permLetters = fc
  .subarray(['r', 'w', 'x', 's', 't'], { minLength: 0 })
  .chain((ls) => fc.shuffledSubarray(ls, { minLength: ls.length, maxLength: ls.length }))
  .map((ls) => ls.join(''));
const opArb = fc.constantFrom('+', '-', '=');
const anyMode = fc
  .tuple(fc.constantFrom(FILE, DIR, FIFO), fc.integer({ min: 0, max: 0o7777 }))
  .map(([t, p]) => t | p);
const umaskArb = fc.integer({ min: 0, max: 0o777 });

/** The symbolic spec that sets exactly the permission bits `n`. */
function symbolicFor(n: number): string {
  const cls = (shift: number, special: number, letter: string): string =>
    `${(n >> shift) & 4 ? 'r' : ''}${(n >> shift) & 2 ? 'w' : ''}${(n >> shift) & 1 ? 'x' : ''}${n & special ? letter : ''}`;
  return `a-st,u=${cls(6, 0o4000, 's')},g=${cls(3, 0o2000, 's')},o=${cls(0, 0o1000, 't')}`;
}

describe('tweakMode properties', () => {
  it('an octal number and the symbolic form spelling it out agree, whatever the umask', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0o7777 }), anyMode, umaskArb, (n, mode, umask) => {
        const octal = tweakMode(mode, rules(n.toString(8), umask));
        const symbolic = tweakMode(mode, rules(symbolicFor(n), umask));
        expect(octal).toBe((mode & ~0o7777) | n);
        expect(symbolic).toBe(octal);
      }),
    );
  });

  it('`a` and `ugo` agree', () => {
    fc.assert(
      fc.property(opArb, permLetters, anyMode, umaskArb, (op, perms, mode, umask) => {
        expect(tweakMode(mode, rules(`ugo${op}${perms}`, umask))).toBe(
          tweakMode(mode, rules(`a${op}${perms}`, umask)),
        );
      }),
    );
  });

  it('with umask 0, no class means `a` for rwxX, and for `t` with + and -', () => {
    // (`s` alone is set-user-ID only, and `a=t` also clears both set-id bits)
    const letters = fc.subarray(['r', 'w', 'x', 'X', 't']).map((ls) => ls.join(''));
    fc.assert(
      fc.property(opArb, letters, anyMode, (op, perms, mode) => {
        fc.pre(op !== '=' || !perms.includes('t'));
        expect(tweakMode(mode, rules(`${op}${perms}`, 0))).toBe(tweakMode(mode, rules(`a${op}${perms}`, 0)));
      }),
    );
  });

  it('`X` acts as `x` on directories and on files already executable, as nothing otherwise', () => {
    fc.assert(
      fc.property(opArb, fc.constantFrom('u', 'g', 'o', 'a', 'ug', ''), anyMode, (op, who, mode) => {
        const withX = tweakMode(mode, rules(`${who}${op}rX`));
        const dir = (mode & 0o170000) === DIR;
        if (dir || mode & 0o111) expect(withX).toBe(tweakMode(mode, rules(`${who}${op}rx`)));
        else if (op !== '-') expect(withX).toBe(tweakMode(mode, rules(`${who}${op}r`)));
      }),
    );
  });

  it('D rules touch only directories, F rules everything else', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('u', 'g', 'o', 'a', ''),
        opArb,
        permLetters,
        anyMode,
        (who, op, perms, mode) => {
          const dir = (mode & 0o170000) === DIR;
          const plain = tweakMode(mode, rules(`${who}${op}${perms}`));
          expect(tweakMode(mode, rules(`D${who}${op}${perms}`))).toBe(dir ? plain : mode);
          expect(tweakMode(mode, rules(`F${who}${op}${perms}`))).toBe(dir ? mode : plain);
        },
      ),
    );
  });

  it('without X, a comma list is the items applied one after another', () => {
    const item = fc
      .tuple(fc.constantFrom('u', 'g', 'o', 'a', 'go', ''), opArb, permLetters)
      .map((p) => p.join(''));
    fc.assert(
      fc.property(fc.array(item, { minLength: 1, maxLength: 5 }), anyMode, umaskArb, (items, mode, umask) => {
        let step = mode;
        for (const it of items) step = tweakMode(step, rules(it, umask));
        expect(tweakMode(mode, rules(items.join(','), umask))).toBe(step);
      }),
    );
  });
});

describe('a received file list (flist.c:recv_file_entry())', () => {
  it('tweaks each mode, and an XMIT_SAME_MODE entry starts from the tweaked previous mode', () => {
    const opts = { protocol: 32, varintFlistFlags: true, preserveLinks: true };
    const w = new WireWriter();
    const enc = new FileListEncoder(opts);
    enc.encode(w, { name: 'a', size: 0, mtime: 1, mode: FILE | 0o755 });
    enc.encode(w, { name: 'b', size: 0, mtime: 1, mode: FILE | 0o755 });
    enc.encode(w, { name: 'c', size: 1, mtime: 1, mode: LINK | 0o777, linkTarget: 'a' });
    enc.encode(w, { name: 'd', size: 0, mtime: 1, mode: DIR | 0o700 });
    enc.end(w);
    // g=u,u=rw is not idempotent: 0755 -> 0675, and again -> 0665
    const dec = new FileListDecoder({ ...opts, chmod: rules('g=u,u=rw') });
    const r = new WireReader(w.finish());
    const modes: string[] = [];
    for (let e = dec.decode(r); e !== 'end'; e = dec.decode(r)) modes.push(e.mode.toString(8));
    expect(modes).toEqual(['100675', '100665', '120777', '40670']);
  });
});
