/**
 * Malicious and broken clients against `tsrsync daemon` (security reference
 * §1.7 A, D, E, F: C→D and R→S cases): raw TCP clients on 127.0.0.1 that
 * speak the daemon handshake and then misbehave — paths that climb out of
 * the module, absolute paths, huge or overlong arguments, oversized or
 * invalid multiplex frames, garbage after OK, bad file lists, file indexes
 * and checksum headers out of range, truncated streams, random bytes.
 *
 * Oracle for every case: the session ends cleanly (an @ERROR line or an
 * error message, and a closed socket; never a hang: every wait is bounded),
 * nothing outside the modules changes, no JavaScript error leaks out, the
 * daemon's `active` count returns to 0, and real rsync 3.5.0 clients, one
 * running meanwhile and ones started afterwards, still succeed.
 */
import { randomBytes } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { NdxState, WireWriter, encodeNdx } from '@tsrsync/protocol';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { prng } from '../golden/data.js';
import {
  compareTrees,
  makeTempDir,
  removeTempDirs,
  runRsync,
  treeSnapshot,
  type RunResult,
  type TreeSnapshot,
} from './harness.js';
import { startTsrsyncDaemon, type TsrsyncDaemon } from './tsrsync-daemon.js';
import { RawClient } from './raw-client.js';

const GREETING = '@RSYNCD: 32.0 sha512 sha256 sha1 md5 md4\n';
const OK = '@RSYNCD: OK\n';
const CMP = { ignoreRoot: true, mtimeResolutionNs: 1000n, nonFileMtimeResolutionNs: 1_000_000_000n };
/** How long a server may take to end a session it has a reason to end. */
const END_MS = 3000;
/** What must never reach a client or the log: a JavaScript error instead of a protocol one. */
const JS_ERROR =
  /TypeError|RangeError|ReferenceError|SyntaxError|Cannot read prop|is not a function|is not defined|Maximum call stack|Invalid array length|heap out of memory/;

const MSG = {
  DATA: 0,
  ERROR_XFER: 1,
  INFO: 2,
  ERROR: 3,
  WARNING: 4,
  REDO: 9,
  STATS: 10,
  IO_TIMEOUT: 33,
  ERROR_EXIT: 86,
} as const;
const ITEM_TRANSFER = 1 << 15;
const DIR = 0o040755;
const REG = 0o100644;
const LNK = 0o120777;
const XMIT_TOP_DIR = 0x01;
const XMIT_EXTENDED_FLAGS = 0x04;
const XMIT_HLINKED = 0x200;

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

// ---------------------------------------------------------------------------
// wire helpers (built by hand: a malicious client does not use our encoders' checks)

/** Protocol >= 30 daemon arguments: each NUL-terminated, an empty one ends them. */
const argv = (words: readonly string[]) => Buffer.from(`${words.map((w) => `${w}\0`).join('')}\0`, 'latin1');

function i32(v: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeInt32LE(v);
  return b;
}

function u16(v: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16LE(v);
  return b;
}

/** A multiplex frame with any tag and any declared length (the payload may be shorter). */
function frame(tag: number, payload: Uint8Array, declared = payload.length): Buffer {
  const h = Buffer.alloc(4);
  h.writeUInt32LE(((((7 + tag) & 0xff) << 24) | (declared & 0xffffff)) >>> 0);
  return Buffer.concat([h, payload]);
}

function ndxBytes(values: readonly number[]): Buffer {
  const w = new WireWriter();
  const st = new NdxState(32);
  for (const v of values) encodeNdx(w, st, v);
  return Buffer.from(w.finish());
}

interface RawEntry {
  name: string;
  mode: number;
  size?: number;
  flags?: number;
  /** HLINKED without HLINK_FIRST: the index of the first member. */
  hlink?: number;
  target?: string;
}

/**
 * A protocol-32 file list without varint flags (the client sent no `v`), no
 * -o/-g: flags, name, [hlink ndx], size, mtime, mode, [symlink target]; then
 * the end byte (no id lists without -o/-g, no io_error int at protocol >= 30).
 */
function rawFileList(entries: readonly RawEntry[]): Buffer {
  const w = new WireWriter();
  for (const e of entries) {
    let f = e.flags ?? 0;
    if (f === 0 && (e.mode & 0o170000) !== 0o040000) f = XMIT_TOP_DIR;
    if (f > 0xff || f === 0) w.u8((f | XMIT_EXTENDED_FLAGS) & 0xff).u8(f >> 8);
    else w.u8(f);
    const name = Buffer.from(e.name);
    w.u8(name.length).bytes(name);
    if (e.hlink !== undefined) w.varint(e.hlink);
    w.varlong(e.size ?? 0, 3)
      .varlong(1_600_000_000, 4)
      .i32(e.mode);
    if (e.target !== undefined) w.varint(Buffer.byteLength(e.target)).bytes(Buffer.from(e.target));
  }
  w.u8(0);
  return Buffer.from(w.finish());
}

interface ServerStream {
  /** Every frame after the compat flags and the seed (the last one may be cut short). */
  frames: { tag: number; payload: Buffer }[];
  /** Text of the error/warning/info frames. */
  messages: string;
  /** The code of a 4-byte MSG_ERROR_EXIT, if one came. */
  exitCode: number | undefined;
  /** An MSG_ERROR_EXIT (any length) came. */
  errorExit: boolean;
}

/** Parses what the daemon sent after "@RSYNCD: OK" (protocol 32, no negotiated strings). */
function serverStream(received: Buffer): ServerStream | undefined {
  const at = received.indexOf(OK);
  if (at < 0) return undefined;
  let p = at + OK.length;
  if (p >= received.length) return { frames: [], messages: '', exitCode: undefined, errorExit: false };
  // compat flags: a varint (leading one-bits of the first byte = extra bytes)
  const lead = received[p]!;
  let extra = 0;
  while (extra < 4 && lead & (0x80 >> extra)) extra++;
  p += 1 + extra + 4; // + checksum seed
  const out: ServerStream = { frames: [], messages: '', exitCode: undefined, errorExit: false };
  while (p + 4 <= received.length) {
    const h = received.readUInt32LE(p);
    const tag = (h >>> 24) - 7;
    const len = h & 0xffffff;
    const payload = received.subarray(p + 4, Math.min(received.length, p + 4 + len));
    out.frames.push({ tag, payload });
    if (tag === MSG.ERROR || tag === MSG.ERROR_XFER || tag === MSG.WARNING || tag === MSG.INFO)
      out.messages += payload.toString('utf8');
    if (tag === MSG.ERROR_EXIT) {
      out.errorExit = true;
      if (payload.length === 4) out.exitCode = payload.readInt32LE(0);
    }
    p += 4 + len;
  }
  return out;
}

/** Describes a raw session for assertion messages. */
function show(c: RawClient): string {
  const s = serverStream(c.received);
  return JSON.stringify({
    closed: c.closed,
    text: c.text.slice(0, 300),
    messages: s?.messages,
    exitCode: s?.exitCode,
  });
}

function runOk(r: RunResult): string {
  return `code=${String(r.code)} timedOut=${r.timedOut} stderr=${r.stderr.slice(0, 1500)}`;
}

// ---------------------------------------------------------------------------
// fixture

let work: string;
let pub: string;
let rw: string;
let outside: string;
let src: string;
let canary: string;
let outsideBefore: TreeSnapshot;
let daemon: TsrsyncDaemon;
const clients: RawClient[] = [];
let serial = 0;

beforeAll(async () => {
  work = await makeTempDir('tsrsync-dbad-');
  pub = path.join(work, 'pub');
  rw = path.join(work, 'rw');
  outside = path.join(work, 'outside');
  src = path.join(work, 'src');
  for (const d of [path.join(pub, 'sub'), rw, outside, path.join(src, 'dir')])
    await fsp.mkdir(d, { recursive: true });
  // sorted file list of `pub/`: . a.txt b.txt escape escape-abs sub sub/c.txt (ndx 0..6)
  await fsp.writeFile(path.join(pub, 'a.txt'), prng(21, 70_000));
  await fsp.writeFile(path.join(pub, 'b.txt'), 'b\n');
  await fsp.writeFile(path.join(pub, 'sub', 'c.txt'), 'c\n');
  await fsp.symlink('../outside', path.join(pub, 'escape'));
  await fsp.symlink(outside, path.join(pub, 'escape-abs'));
  // the sentinel: a file whose name and content must never reach a client
  canary = `canary-${randomBytes(6).toString('hex')}`;
  await fsp.writeFile(path.join(outside, `${canary}.txt`), `${canary}-content\n`);
  await fsp.writeFile(path.join(src, 'f.txt'), 'pushed\n');
  await fsp.writeFile(path.join(src, 'dir', 'g.bin'), prng(22, 20_000));
  outsideBefore = await treeSnapshot(outside);
  daemon = await startTsrsyncDaemon({
    modules: {
      pub: { path: pub, extra: { 'munge symlinks': 'no' } },
      // no munging: a client may store any symlink, the hardest case for confinement
      rw: { path: rw, readOnly: false, extra: { 'munge symlinks': 'no' } },
    },
  });
});

afterEach(async () => {
  for (const c of clients.splice(0)) c.destroy();
  for (let i = 0; i < 250 && daemon.active > 0; i++) await sleep(20);
  expect(daemon.active, 'sessions still open after the test').toBe(0);
  expect(compareTrees(outsideBefore, await treeSnapshot(outside)), 'outside the modules').toEqual([]);
  expect(daemon.log()).not.toMatch(JS_ERROR);
});

afterAll(async () => {
  for (const c of clients.splice(0)) c.destroy();
  await daemon?.stop();
  await removeTempDirs();
});

async function connect(): Promise<RawClient> {
  const c = await RawClient.connect(daemon.port);
  clients.push(c);
  return c;
}

/** Greeting, module and arguments; waits for "@RSYNCD: OK". */
async function session(module: string, words: readonly string[]): Promise<RawClient> {
  const c = await connect();
  c.write(`${GREETING}${module}\n`);
  expect(await c.until(() => c.text.includes(OK), END_MS), show(c)).toBe(true);
  c.write(argv(words));
  return c;
}

/** A pull (the daemon sends) of `p`; the empty filter list follows unless told otherwise. */
async function pull(
  p: string,
  opts: { filterList?: boolean; extra?: readonly string[] } = {},
): Promise<RawClient> {
  const c = await session('pub', ['--server', '--sender', '-r', ...(opts.extra ?? []), '.', p]);
  if (opts.filterList !== false) c.write(frame(MSG.DATA, i32(0)));
  return c;
}

/** A push (the daemon receives) into `rw/<dest>`. */
function push(dest: string, extra: readonly string[] = ['-r']): Promise<RawClient> {
  return session('rw', ['--server', ...extra, '.', dest]);
}

/** A real rsync pull of `pub` that runs meanwhile; call the result to check it. */
function concurrentPull(): () => Promise<void> {
  const dest = path.join(work, `concurrent-${serial++}`);
  const run = runRsync(['-a', `${daemon.url('pub')}/`, dest], { timeoutMs: 20_000 });
  return async () => {
    const r = await run;
    expect(runOk(r)).toBe(runOk({ ...r, code: 0, stderr: '', timedOut: false }));
    expect(compareTrees(await treeSnapshot(pub), await treeSnapshot(dest), CMP)).toEqual([]);
  };
}

/** The server ended the session by itself with a protocol error it told the client about. */
async function expectErrorAndClose(c: RawClient, message: RegExp): Promise<void> {
  expect(await c.waitClosed(), `not closed by the server: ${show(c)}`).toBe(true);
  expect(serverStream(c.received)?.messages ?? '', show(c)).toMatch(message);
  expect(serverStream(c.received)?.messages ?? '').not.toMatch(JS_ERROR);
}

// ---------------------------------------------------------------------------

describe('the text phase', () => {
  const cases: [string, () => Buffer, (c: RawClient) => void][] = [
    [
      'a greeting that is not one',
      () => Buffer.from('HELLO THERE\n'),
      (c) => expect(c.text).toBe(`${GREETING}@ERROR: protocol startup error\n`),
    ],
    [
      'protocol 19',
      () => Buffer.from('@RSYNCD: 19.0\npub\n'),
      (c) => expect(c.text).toMatch(/^@RSYNCD: 32\.0[^\n]*\n@ERROR: protocol version mismatch[^\n]*\n$/),
    ],
    [
      'a 1 MiB greeting line without a newline',
      () => Buffer.alloc(1 << 20, 0x41),
      (c) => expect(c.text).toBe(GREETING),
    ],
    [
      'an overlong module line',
      () => Buffer.from(`${GREETING}${'pub'.repeat(30_000)}\n`),
      (c) => expect(c.text).toBe(GREETING),
    ],
    [
      'a NUL in the module line',
      () => Buffer.from(`${GREETING}pu\0b\n`),
      (c) => expect(c.text).toBe(GREETING),
    ],
    [
      'an unknown #command',
      () => Buffer.from(`${GREETING}#exec /bin/sh\n`),
      (c) => expect(c.text).toBe(`${GREETING}@ERROR: Unknown command '#exec /bin/sh'\n`),
    ],
    [
      'a module name that climbs',
      () => Buffer.from(`${GREETING}../pub\n`),
      (c) => expect(c.text).toBe(`${GREETING}@ERROR: Unknown module '../pub'\n`),
    ],
    [
      '20000 arguments',
      () =>
        Buffer.concat([
          Buffer.from(`${GREETING}pub\n`),
          argv(['--server', '--sender', '-r', '.', ...Array.from({ length: 20_000 }, (_, i) => `pub/${i}`)]),
        ]),
      (c) => expect(c.text).toBe(`${GREETING}${OK}`),
    ],
    [
      'a 64 KiB argument',
      () =>
        Buffer.concat([
          Buffer.from(`${GREETING}pub\n`),
          argv(['--server', '--sender', '-r', '.', `pub/${'x'.repeat(65_536)}`]),
        ]),
      (c) => expect(c.text).toBe(`${GREETING}${OK}`),
    ],
  ];
  it.each(cases)('%s: refused and closed by the server', { timeout: 10_000 }, async (_name, bytes, check) => {
    const done = concurrentPull();
    const c = await connect();
    c.write(bytes());
    expect(await c.waitClosed(), show(c)).toBe(true);
    check(c);
    await done();
  });

  it(
    'garbage after OK instead of arguments: an error message, an exit code, closed',
    { timeout: 10_000 },
    async () => {
      const c = await connect();
      c.write(`${GREETING}pub\n`);
      expect(await c.until(() => c.text.includes(OK), END_MS)).toBe(true);
      c.write(Buffer.from([0x01, 0x02, 0x03, 0x00, 0xff, 0xfe, 0x80, 0x00, 0x00]));
      await expectErrorAndClose(c, /rsync: .*--server/);
      expect(serverStream(c.received)?.exitCode).toBeGreaterThan(0);
      expect(daemon.log()).not.toMatch(/rsync on .*\x01/);
    },
  );
});

describe('paths that leave the module', () => {
  const pulls: [string, RegExp][] = [
    ['pub/../outside/', /link_stat "[^"]*\/pub\/outside" failed/],
    ['pub/../outside/CANARY.txt', /link_stat "[^"]*\/pub\/outside\/[^"]*" failed/],
    ['pub/../../../../../../..' + '/etc/passwd', /link_stat "[^"]*\/pub\/etc\/passwd" failed/],
    ['pub/./sub/../../outside/', /link_stat "[^"]*\/pub\/outside" failed/],
    ['pub//etc/passwd', /link_stat "[^"]*\/pub\/etc\/passwd" failed/],
    ['/etc/passwd', /the path "\/etc\/passwd" is outside module pub/],
    ['OUTSIDE', /is outside module pub/],
    ['rw/../pub/', /is outside module pub/],
    ['pub/escape/', /the path "pub\/escape\/" is outside module pub/],
    ['pub/escape-abs/CANARY.txt', /is outside module pub/],
    ['pub/sub/../escape/', /is outside module pub/],
  ];
  it.each(pulls)('a pull of %s sends nothing from outside', { timeout: 10_000 }, async (arg, message) => {
    const done = concurrentPull();
    const real = arg.replace('CANARY', canary).replace('OUTSIDE', outside);
    const c = await pull(real);
    await expectErrorAndClose(c, message);
    // the name may come back in an error message (it is what we asked for), never in the file list
    const data = Buffer.concat(
      (serverStream(c.received)?.frames ?? []).filter((f) => f.tag === MSG.DATA).map((f) => f.payload),
    );
    expect(data.includes(canary)).toBe(false);
    expect(c.received.includes(`${canary}-content`)).toBe(false);
    await done();
  });

  it(
    'real rsync: pulls through ../ and a symlink get nothing from outside',
    { timeout: 40_000 },
    async () => {
      const dest1 = path.join(work, 'climb-pull');
      const r1 = await runRsync(['-a', `${daemon.url('pub')}/../outside/`, dest1], { timeoutMs: 15_000 });
      expect(r1.code, runOk(r1)).toBe(23);
      expect(r1.stderr).toMatch(/link_stat "[^"]*\/pub\/outside" failed/);
      const dest2 = path.join(work, 'symlink-pull');
      const r2 = await runRsync(['-a', `${daemon.url('pub')}/escape/`, dest2], { timeoutMs: 15_000 });
      expect(r2.code, runOk(r2)).not.toBe(0);
      expect(r2.stderr).toMatch(/outside module pub/);
      for (const d of [dest1, dest2]) {
        const names = await fsp.readdir(d, { recursive: true }).catch(() => [] as string[]);
        expect(names.filter((n) => n.includes(canary))).toEqual([]);
      }
    },
  );

  it(
    'real rsync: pushes to rw/../outside/ and rw/../../outside/ land inside the module',
    { timeout: 40_000 },
    async () => {
      for (const [k, dest] of ['../outside/', '../../outside/x/'].entries()) {
        const r = await runRsync(['-a', `${src}/`, `${daemon.url('rw')}/${dest}`], { timeoutMs: 15_000 });
        expect(runOk(r)).toBe(runOk({ ...r, code: 0, stderr: '', timedOut: false }));
        const inside = path.join(rw, k === 0 ? 'outside' : 'outside/x');
        expect(compareTrees(await treeSnapshot(src), await treeSnapshot(inside), CMP)).toEqual([]);
      }
    },
  );

  it('a raw push to an absolute path is refused', { timeout: 10_000 }, async () => {
    const c = await push(`${outside}/pwn/`);
    await expectErrorAndClose(c, /is outside module rw/);
  });

  it(
    'real rsync: a symlink stored in the module is not a way out for a second push or a pull',
    { timeout: 60_000 },
    async () => {
      // first connection: a symlink to outside (kept as it is: munge symlinks = no)
      const evil = path.join(work, 'evil-src');
      await fsp.mkdir(evil);
      await fsp.symlink(outside, path.join(evil, 'evil'));
      const r1 = await runRsync(['-a', `${evil}/`, daemon.url('rw', 'f5/')], { timeoutMs: 15_000 });
      expect(runOk(r1)).toBe(runOk({ ...r1, code: 0, stderr: '', timedOut: false }));
      expect(await fsp.readlink(path.join(rw, 'f5', 'evil'))).toBe(outside);
      // second connection: through it, as the destination
      const r2 = await runRsync(['-a', `${src}/`, daemon.url('rw', 'f5/evil/')], { timeoutMs: 15_000 });
      expect(r2.code, runOk(r2)).not.toBe(0);
      expect(r2.stderr).toMatch(/outside module rw/);
      const r3 = await runRsync(['-a', `${src}/f.txt`, daemon.url('rw', 'f5/evil/pwn.txt')], {
        timeoutMs: 15_000,
      });
      expect(r3.code, runOk(r3)).not.toBe(0);
      // a pull through it
      const r4 = await runRsync(['-a', `${daemon.url('rw')}/f5/evil/`, path.join(work, 'f5-pull')], {
        timeoutMs: 15_000,
      });
      expect(r4.code, runOk(r4)).not.toBe(0);
      expect(r4.stderr).toMatch(/outside module rw/);
      const pulled = await fsp.readdir(path.join(work, 'f5-pull')).catch(() => [] as string[]);
      expect(pulled.filter((n) => n.includes(canary))).toEqual([]);
      // a tree where `evil` is a real directory replaces the symlink, it does not write through it
      const tree = path.join(work, 'evil-dir');
      await fsp.mkdir(path.join(tree, 'evil'), { recursive: true });
      await fsp.writeFile(path.join(tree, 'evil', 'pwn.txt'), 'pwn\n');
      const r5 = await runRsync(['-a', `${tree}/`, daemon.url('rw', 'f5/')], { timeoutMs: 15_000 });
      expect(runOk(r5)).toBe(runOk({ ...r5, code: 0, stderr: '', timedOut: false }));
      expect((await fsp.lstat(path.join(rw, 'f5', 'evil'))).isDirectory()).toBe(true);
      expect(await fsp.readFile(path.join(rw, 'f5', 'evil', 'pwn.txt'), 'utf8')).toBe('pwn\n');
      // afterEach: nothing under outside/ changed
    },
  );
});

describe('bad file lists from a pushing client', () => {
  const cases: [string, string[], RawEntry[], RegExp][] = [
    [
      'a name with ..',
      ['-r'],
      [
        { name: '.', mode: DIR, flags: XMIT_TOP_DIR },
        { name: '../outside/pwn.txt', mode: REG, size: 5 },
      ],
      /unsafe pathname/,
    ],
    [
      'a/../../x',
      ['-r'],
      [
        { name: '.', mode: DIR, flags: XMIT_TOP_DIR },
        { name: 'a', mode: DIR },
        { name: 'a/../../outside/pwn.txt', mode: REG, size: 5 },
      ],
      /unsafe pathname/,
    ],
    [
      'an absolute name',
      ['-r'],
      [
        { name: '.', mode: DIR, flags: XMIT_TOP_DIR },
        { name: 'OUTSIDE/pwn.txt', mode: REG, size: 5 },
      ],
      /unsafe pathname/,
    ],
    [
      'an invalid file type',
      ['-r'],
      [
        { name: '.', mode: DIR, flags: XMIT_TOP_DIR },
        { name: 'x', mode: 0o170644, size: 5 },
      ],
      /invalid file mode/,
    ],
    ['"." as a regular file', ['-r'], [{ name: '.', mode: REG, size: 5 }], /non-directory transfer-root/],
    [
      'a hard-link index out of range',
      ['-rH'],
      [
        { name: '.', mode: DIR, flags: XMIT_TOP_DIR },
        { name: 'x', mode: REG, size: 5, flags: XMIT_HLINKED, hlink: 999 },
      ],
      /hard-link reference out of range/,
    ],
    [
      'a symlink to outside, then a file beneath it',
      ['-rl'],
      [
        { name: '.', mode: DIR, flags: XMIT_TOP_DIR },
        { name: 'evil', mode: LNK, size: 0, target: 'OUTSIDE' },
        { name: 'evil/pwn.txt', mode: REG, size: 5 },
      ],
      /invalid path|unsafe/,
    ],
    [
      'a file in a directory the list never had',
      ['-r'],
      [
        { name: '.', mode: DIR, flags: XMIT_TOP_DIR },
        { name: 'nodir/pwn.txt', mode: REG, size: 5 },
      ],
      /invalid path/,
    ],
  ];
  it.each(cases)(
    '%s: the daemon reports it while the client waits for requests, and ends the session',
    { timeout: 15_000 },
    async (name, extra, entries, message) => {
      const dest = `rw/bad-${serial++}/`;
      const list = entries.map((e) => ({
        ...e,
        name: e.name.replace('OUTSIDE', outside),
        ...(e.target ? { target: e.target.replace('OUTSIDE', outside) } : {}),
      }));
      const c = await push(dest, extra);
      c.write(frame(MSG.DATA, rawFileList(list)));
      // like a real sender, the client now waits for the generator: the daemon must speak first
      const told = await c.until(() => message.test(serverStream(c.received)?.messages ?? ''), END_MS);
      c.end();
      expect(await c.waitClosed(), `${name}: ${show(c)}`).toBe(true);
      expect(told, `${name}: no error within ${END_MS} ms: ${show(c)}`).toBe(true);
      expect(serverStream(c.received)?.messages ?? '').not.toMatch(JS_ERROR);
    },
  );
});

describe('the binary phase of a pull (the daemon sends)', () => {
  it.each([
    ['MSG_INFO of 0xFFFFFF bytes', frame(MSG.INFO, Buffer.alloc(64), 0xffffff), /multiplexing overflow/],
    ['an unknown tag', frame(50, i32(0)), /unexpected tag 50/],
    ['MSG_REDO of 3 bytes', frame(MSG.REDO, Buffer.alloc(3)), /invalid length 3/],
  ])('%s: an error, closed', { timeout: 10_000 }, async (_n, bytes, message) => {
    const c = await pull('pub/');
    c.write(bytes);
    await expectErrorAndClose(c, message);
  });

  it.each([
    ['MSG_IO_TIMEOUT', MSG.IO_TIMEOUT, i32(5)],
    ['MSG_REDO', MSG.REDO, i32(1)],
    ['MSG_STATS', MSG.STATS, Buffer.alloc(8)],
  ])(
    '%s, which only rsync-internal pipes or a client may get: the session ends (as with rsync 3.5.0)',
    { timeout: 10_000 },
    async (_n, tag, payload) => {
      const c = await pull('pub/');
      c.write(frame(tag, payload));
      expect(await c.waitClosed(), show(c)).toBe(true);
    },
  );

  it('MSG_ERROR_EXIT from the client: the daemon answers or hangs up', { timeout: 10_000 }, async () => {
    const c = await pull('pub/');
    // the whole file list first: the client's generator fails then
    expect(await c.until(() => (serverStream(c.received)?.frames.length ?? 0) > 0, END_MS)).toBe(true);
    c.write(frame(MSG.ERROR_EXIT, i32(11)));
    const answered = await c.until(() => c.closed || (serverStream(c.received)?.errorExit ?? false), END_MS);
    c.end();
    expect(await c.waitClosed(), show(c)).toBe(true);
    expect(answered, `no MSG_ERROR_EXIT and no close within ${END_MS} ms: ${show(c)}`).toBe(true);
  });

  it(
    'real rsync: a pulling client whose receiver fails (protocol 32) exits 11, not hangs',
    { timeout: 10_000 },
    async () => {
      const t0 = Date.now();
      const r = await runRsync(['-a', `${daemon.url('pub')}/`, path.join(work, 'no', 'such', 'dir')], {
        timeoutMs: 5000,
      });
      expect(r.timedOut, `took ${Date.now() - t0} ms: ${runOk(r)}`).toBe(false);
      expect(r.code).toBe(11);
      expect(r.stderr).toMatch(/mkdir .* failed/);
    },
  );

  it('a filter list with a rule of 10^9 bytes: an error, closed', { timeout: 10_000 }, async () => {
    const c = await pull('pub/', { filterList: false });
    c.write(frame(MSG.DATA, i32(1e9)));
    await expectErrorAndClose(c, /filter rule length 1000000000/);
  });

  const U = ITEM_TRANSFER;
  const sumHead = (count: number, blength: number, s2: number, rem: number) =>
    Buffer.concat([i32(count), i32(blength), i32(s2), i32(rem)]);
  it.each([
    ['ndx = list length', Buffer.concat([ndxBytes([7]), u16(U)]), /Invalid file index: 7/],
    ['ndx 2^31-1', Buffer.concat([ndxBytes([0x7fffffff]), u16(U)]), /Invalid file index: 2147483647/],
    ['ndx -4', Buffer.concat([ndxBytes([-4]), u16(U)]), /Invalid file index: -4/],
    [
      'ndx -150 (a sub-list without inc-recurse)',
      Buffer.concat([ndxBytes([-150]), u16(U)]),
      /Invalid file index: -150/,
    ],
    [
      'a transfer of the directory "."',
      Buffer.concat([ndxBytes([0]), u16(U), sumHead(0, 0, 0, 0)]),
      /non-regular/,
    ],
    [
      'a transfer of the symlink escape',
      Buffer.concat([ndxBytes([3]), u16(U), sumHead(0, 0, 0, 0)]),
      /non-regular/,
    ],
    [
      's2length 17 with MD5',
      Buffer.concat([ndxBytes([1]), u16(U), sumHead(1, 700, 17, 0)]),
      /checksum length 17/,
    ],
    ['s2length -1', Buffer.concat([ndxBytes([1]), u16(U), sumHead(1, 700, -1, 0)]), /checksum length -1/],
    ['count -1', Buffer.concat([ndxBytes([1]), u16(U), sumHead(-1, 700, 16, 0)]), /checksum count -1/],
    ['count 2^31-1', Buffer.concat([ndxBytes([1]), u16(U), sumHead(0x7fffffff, 1, 16, 0)]), /checksum count/],
    ['blength 0 with blocks', Buffer.concat([ndxBytes([1]), u16(U), sumHead(3, 0, 16, 0)]), /block length 0/],
    ['blength 131073', Buffer.concat([ndxBytes([1]), u16(U), sumHead(1, 131_073, 16, 0)]), /block length/],
    [
      'remainder > blength',
      Buffer.concat([ndxBytes([1]), u16(U), sumHead(1, 700, 16, 701)]),
      /remainder length 701/,
    ],
  ])('%s: an error, closed', { timeout: 10_000 }, async (_n, bytes, message) => {
    // -l: the list is . a.txt b.txt escape escape-abs sub sub/c.txt (ndx 0..6)
    const c = await pull('pub/', { filterList: false, extra: ['-l'] });
    c.write(frame(MSG.DATA, Buffer.concat([i32(0), bytes])));
    await expectErrorAndClose(c, message);
    // a.txt (ndx 1) never went out
    expect(c.received.includes(Buffer.from(prng(21, 70_000).subarray(0, 64)))).toBe(false);
  });
});

describe('truncated streams', () => {
  const cut: [string, () => Promise<RawClient>][] = [
    [
      'in the greeting',
      async () => {
        const c = await connect();
        c.write('@RSYNCD: 3');
        return c;
      },
    ],
    [
      'in the module name',
      async () => {
        const c = await connect();
        c.write(`${GREETING}pu`);
        return c;
      },
    ],
    [
      'in the arguments',
      async () => {
        const c = await connect();
        c.write(`${GREETING}pub\n--server\0--sen`);
        return c;
      },
    ],
    ['before the filter list', () => pull('pub/', { filterList: false })],
    [
      'in a frame header',
      async () => {
        const c = await pull('pub/', { filterList: false });
        c.write(Buffer.from([0x04, 0x00]));
        return c;
      },
    ],
    [
      'in a frame (100 bytes announced, 10 sent)',
      async () => {
        const c = await pull('pub/', { filterList: false });
        c.write(frame(MSG.DATA, Buffer.alloc(10), 100));
        return c;
      },
    ],
    [
      'in a 16 MiB data frame',
      async () => {
        const c = await pull('pub/', { filterList: false });
        c.write(frame(MSG.DATA, Buffer.alloc(4096), 0xffffff));
        return c;
      },
    ],
    [
      'in a push file list',
      async () => {
        const c = await push(`rw/cut-${serial++}/`);
        const list = rawFileList([
          { name: '.', mode: DIR, flags: XMIT_TOP_DIR },
          { name: 'f.txt', mode: REG, size: 5 },
        ]);
        c.write(frame(MSG.DATA, list.subarray(0, 9)));
        return c;
      },
    ],
    [
      'after a push file list (the data never comes)',
      async () => {
        const c = await push(`rw/cut-${serial++}/`);
        c.write(
          frame(
            MSG.DATA,
            rawFileList([
              { name: '.', mode: DIR, flags: XMIT_TOP_DIR },
              { name: 'f.txt', mode: REG, size: 5 },
            ]),
          ),
        );
        // the daemon asks for f.txt
        expect(await c.until(() => (serverStream(c.received)?.frames.length ?? 0) > 0, END_MS), show(c)).toBe(
          true,
        );
        return c;
      },
    ],
  ];
  it.each(cut)('%s: closed once the client is gone', { timeout: 10_000 }, async (_n, start) => {
    const c = await start();
    await sleep(50);
    c.end();
    expect(await c.waitClosed(), show(c)).toBe(true);
    expect(serverStream(c.received)?.messages ?? '').not.toMatch(JS_ERROR);
  });

  it('a push cut off in the data leaves no file and no temp file behind', { timeout: 10_000 }, async () => {
    const dir = `cut-data-${serial++}`;
    const c = await push(`rw/${dir}/`);
    c.write(
      frame(
        MSG.DATA,
        rawFileList([
          { name: '.', mode: DIR, flags: XMIT_TOP_DIR },
          { name: 'f.txt', mode: REG, size: 100_000 },
        ]),
      ),
    );
    expect(await c.until(() => (serverStream(c.received)?.frames.length ?? 0) > 0, END_MS), show(c)).toBe(
      true,
    );
    // ndx 1, ITEM_TRANSFER, no blocks, then 1000 of the 100000 literal bytes
    c.write(
      frame(MSG.DATA, Buffer.concat([ndxBytes([1]), u16(ITEM_TRANSFER), i32(0), i32(0), i32(0), i32(0)])),
    );
    c.write(frame(MSG.DATA, Buffer.concat([i32(100_000), Buffer.alloc(1000, 0x61)])));
    await sleep(100);
    c.end();
    expect(await c.waitClosed(), show(c)).toBe(true);
    for (let i = 0; i < 100 && daemon.active > 0; i++) await sleep(20);
    const left = await fsp.readdir(path.join(rw, dir));
    expect(left).toEqual([]);
  });
});

describe('random bytes (fast-check)', () => {
  /** One run: a fresh connection from `start`, the random bytes, our end; the server must close. */
  async function fuzzRun(start: () => Promise<RawClient>, bytes: Uint8Array): Promise<void> {
    const c = await start();
    c.write(bytes);
    c.end();
    const closed = await c.waitClosed();
    c.destroy();
    if (!closed) throw new Error(`not closed within ${END_MS} ms: ${show(c)}`);
    const m = serverStream(c.received)?.messages ?? '';
    if (JS_ERROR.test(m)) throw new Error(`a JavaScript error reached the client: ${m}`);
  }

  const bytes = fc.oneof(
    fc.uint8Array({ minLength: 1, maxLength: 512 }),
    fc.uint8Array({ minLength: 1, maxLength: 8192, size: 'max' }),
  );
  const RUNS = 40;

  it('from the first byte', { timeout: 30_000 }, async () => {
    const done = concurrentPull();
    await fc.assert(
      fc.asyncProperty(fc.boolean(), bytes, async (greet, b) => {
        await fuzzRun(async () => {
          const c = await connect();
          if (greet) c.write(GREETING);
          return c;
        }, b);
      }),
      { numRuns: RUNS },
    );
    await done();
  });

  it("after a pull's arguments, as frames or inside MSG_DATA", { timeout: 30_000 }, async () => {
    const done = concurrentPull();
    await fc.assert(
      fc.asyncProperty(fc.boolean(), fc.boolean(), bytes, async (inData, withFilters, b) => {
        await fuzzRun(() => pull('pub/', { filterList: withFilters }), inData ? frame(MSG.DATA, b) : b);
      }),
      { numRuns: RUNS },
    );
    await done();
  });

  it("as a push's file list", { timeout: 30_000 }, async () => {
    const done = concurrentPull();
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(['-r'], ['-rlH'], ['-rlptgoD'], ['-rc']), bytes, async (opts, b) => {
        await fuzzRun(() => push(`rw/fuzz-${serial++}/`, opts), frame(MSG.DATA, b));
      }),
      { numRuns: RUNS },
    );
    await done();
  });
});

describe('file lists that try to build a way out (fast-check)', () => {
  it(
    'dirs, files and symlinks with .., absolute names and links to outside create nothing outside',
    { timeout: 45_000 },
    async () => {
      const done = concurrentPull();
      const others = async () => (await fsp.readdir(work)).filter((n) => !n.startsWith('concurrent-')).sort();
      const workBefore = await others();
      // mostly plain names, so that many lists get past the checks and the generator acts on them
      const component = fc.oneof(
        { arbitrary: fc.constantFrom('a', 'b', 'evil', 'outside'), weight: 12 },
        { arbitrary: fc.constantFrom('..', '.'), weight: 1 },
      );
      const entry = fc.record({
        parts: fc.array(component, { minLength: 1, maxLength: 4 }),
        absolute: fc.integer({ min: 0, max: 15 }).map((n) => n === 0),
        kind: fc.constantFrom('dir', 'file', 'link-out', 'link-up', 'link-root'),
      });
      await fc.assert(
        fc.asyncProperty(
          fc.array(entry, { minLength: 1, maxLength: 8 }),
          fc.constantFrom(['-r'], ['-rl'], ['-rlH'], ['-rl', '--delete']),
          async (entries, opts) => {
            const list: RawEntry[] = [{ name: '.', mode: DIR, flags: XMIT_TOP_DIR }];
            const links = opts.some((o) => /^-[a-zA-Z]*l/.test(o));
            const listed = new Set<string>();
            for (const e of entries) {
              const rel = e.parts.join('/');
              // like a real sender: the parent directories come first (unless the name climbs)
              if (!e.absolute)
                for (let k = 1; k < e.parts.length; k++) {
                  const dir = e.parts.slice(0, k).join('/');
                  if (!listed.has(dir)) list.push({ name: dir, mode: DIR });
                  listed.add(dir);
                }
              const name = e.absolute ? `${outside}/${rel}` : rel;
              listed.add(name);
              if (e.kind === 'dir') list.push({ name, mode: DIR });
              else if (e.kind === 'file' || !links) list.push({ name, mode: REG, size: 3 });
              else {
                const target = e.kind === 'link-out' ? outside : e.kind === 'link-up' ? '../../..' : '/';
                list.push({ name, mode: LNK, size: Buffer.byteLength(target), target });
              }
            }
            const c = await push(`rw/maze-${serial++}/`, opts);
            if ((opts as readonly string[]).includes('--delete')) c.write(frame(MSG.DATA, i32(0))); // the filter list
            c.write(frame(MSG.DATA, rawFileList(list)));
            // the generator runs on what it got; then the client goes away
            await c.until(() => c.closed || (serverStream(c.received)?.frames.length ?? 0) > 0, 300);
            c.end();
            const closed = await c.waitClosed();
            c.destroy();
            if (!closed) throw new Error(`not closed within ${END_MS} ms: ${show(c)}`);
            const diffs = compareTrees(outsideBefore, await treeSnapshot(outside));
            if (diffs.length > 0) throw new Error(`outside changed: ${diffs.join('; ')}`);
            const now = await others();
            if (now.join('/') !== workBefore.join('/'))
              throw new Error(`new entries beside the module: ${now.filter((n) => !workBefore.includes(n))}`);
          },
        ),
        { numRuns: 40 },
      );
      await done();
    },
  );
});

describe('afterwards', () => {
  it(
    'all the bad clients at once, with a real pull and push meanwhile, then real clients again',
    { timeout: 60_000 },
    async () => {
      const done = concurrentPull();
      const pushDest = path.join(rw, 'during');
      const realPush = runRsync(['-a', `${src}/`, daemon.url('rw', 'during/')], { timeoutMs: 20_000 });
      const bad = await Promise.all([
        (async () => {
          const c = await connect();
          c.write('x'.repeat(100_000));
          return c;
        })(),
        pull('pub/../outside/'),
        pull('/etc/passwd'),
        pull('pub/', { filterList: false }).then((c) => {
          c.write(frame(MSG.INFO, Buffer.alloc(10), 0xffffff));
          return c;
        }),
        push(`rw/at-once-${serial++}/`).then((c) => {
          c.write(frame(MSG.DATA, rawFileList([{ name: '../outside/x', mode: REG, size: 1 }])));
          return c;
        }),
        pull('pub/', { filterList: false }).then((c) => {
          c.write(frame(MSG.DATA, Buffer.concat([i32(0), ndxBytes([1000]), u16(ITEM_TRANSFER)])));
          return c;
        }),
      ]);
      for (const c of bad) expect(await c.waitClosed(), show(c)).toBe(true);
      await done();
      const p = await realPush;
      expect(runOk(p)).toBe(runOk({ ...p, code: 0, stderr: '', timedOut: false }));
      expect(compareTrees(await treeSnapshot(src), await treeSnapshot(pushDest), CMP)).toEqual([]);
      for (let i = 0; i < 250 && daemon.active > 0; i++) await sleep(20);
      expect(daemon.active).toBe(0);
      // and afresh
      await concurrentPull()();
      const again = await runRsync(['-a', '--delete', `${src}/`, daemon.url('rw', 'after/')], {
        timeoutMs: 20_000,
      });
      expect(runOk(again)).toBe(runOk({ ...again, code: 0, stderr: '', timedOut: false }));
      expect(compareTrees(await treeSnapshot(src), await treeSnapshot(path.join(rw, 'after')), CMP)).toEqual(
        [],
      );
    },
  );
});
