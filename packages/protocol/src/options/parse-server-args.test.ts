import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseServerArgs, ServerArgsError } from './parse-server-args.js';
import { parsePoptInt, parseSizeArg } from './popt-scan.js';
import { serverArgs } from './server-args.js';
import { makeOptions, type TransferOptions } from './transfer-options.js';

const parse = (...words: string[]) => parseServerArgs(['--server', ...words]);
const opts = (...words: string[]) => parse(...words).options;
function fails(words: string[], message: string): void {
  let err: unknown;
  try {
    parseServerArgs(words);
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(ServerArgsError);
  expect((err as Error).message).toBe(message);
}

describe('parseServerArgs: words', () => {
  it('reads the short cluster and the -e capability string', () => {
    const r = parse('--sender', '-vlogDtprze.iLsfxCIvu', '.', 'src/');
    expect(r.amSender).toBe(true);
    expect(r.info).toBe('.iLsfxCIvu');
    expect(r.args).toEqual(['.', 'src/']);
    expect(r.options).toEqual(
      makeOptions({
        verbose: 1,
        links: true,
        owner: true,
        group: true,
        devices: true,
        specials: true,
        times: true,
        perms: true,
        recursive: true,
        compress: 'auto',
      }),
    );
    expect([r.daemon, r.secludedArgs, r.allowIncRecurse, r.ignored, r.unsupported]).toEqual([
      false,
      false,
      true,
      [],
      [],
    ]);
  });

  it('takes option values the ways popt does', () => {
    expect(opts('-B2048').blockSize).toBe(2048);
    expect(opts('-B', '2048').blockSize).toBe(2048);
    expect(opts('-B=2048').blockSize).toBe(2048);
    expect(opts('--block-size=2k').blockSize).toBe(2048);
    expect(opts('--partial-dir', '-odd').partialDir).toBe('-odd');
    expect(opts('-@-1').modifyWindow).toBe(-1);
    expect(parse('-re', '.iLs', '.').info).toBe('.iLs');
    expect(parse('--rsh=.Lsf').info).toBe('.Lsf');
    // options may follow positionals; "--" ends them; "-" is a positional
    const r = parse('.', 'a', '-n', '--', '-b', '-');
    expect([r.args, r.options.dryRun, r.unsupported]).toEqual([['.', 'a', '-b', '-'], true, []]);
  });

  it('fails like rsync (options.c / popt.c texts)', () => {
    fails(['--server', '--foo=1'], '--foo=1: unknown option');
    fails(['--server', '-vQ'], '-vQ: unknown option');
    fails(['--server', '--timeout'], '--timeout: missing argument');
    fails(['--server', '--stats=1'], '--stats=1: option does not take an argument');
    fails(['--server', '--timeout=ten'], '--timeout=ten: invalid numeric value');
    fails(['--server', '--timeout=99999999999'], '--timeout=99999999999: number too large or too small');
    fails(['--server', '--delete', '.'], '--delete does not work without --recursive (-r) or --dirs (-d).');
    fails(
      ['--server', '-r', '--delete-before', '--del'],
      'You may not combine multiple --delete-WHEN options.',
    );
    fails(['--server', '--inplace', '--partial-dir=.p'], '--inplace cannot be used with --partial-dir');
    fails(['--server', '--zc=brotli'], 'unknown compress name: brotli');
    fails(
      ['--server', '--link-dest=a', '--copy-dest=b'],
      'ERROR: the --copy-dest option conflicts with the --link-dest option',
    );
    fails(['--server', '-B200000'], '--block-size=200000 is too large (max: 131,072)');
    fails(['--server', '--max-size=10Q'], '--max-size=10Q is invalid');
    fails(['--server', '--bwlimit=100b'], '--bwlimit=100b is too small (min: 512 or 0 for unlimited)');
    fails(['-r', '.'], '--server was not given');
    fails(['--server', '--config=x', '.'], 'Daemon option(s) used without --daemon.');
    fails(['--server', '--daemon', '-r', '.'], '-r: unknown option (in daemon mode)');
  });
});

describe('parseServerArgs: meanings', () => {
  it('delete modes (compat.c picks before/during for plain --delete)', () => {
    expect(opts('-r', '--delete').delete).toBe('default');
    expect(opts('-r', '--del').delete).toBe('during');
    expect(opts('-r', '--delete-delay').delete).toBe('delay');
    expect(opts('-d', '--delete-after').delete).toBe('after');
    expect(opts('-r', '--delete-excluded')).toMatchObject({ delete: 'default', deleteExcluded: true });
    expect(opts('--list-only', '--delete').delete).toBe('default');
    expect(opts('-r', '--max-delete=-1').maxDelete).toBe(0);
    expect(opts('-r', '--max-delete=5').maxDelete).toBe(5);
  });

  it('compression choices', () => {
    const z = (...w: string[]) => [opts(...w).compress, opts(...w).compressLevel];
    expect(z('-z')).toEqual(['auto', undefined]);
    expect(z('-zz')).toEqual(['zlibx', undefined]);
    expect(z('-z', '--old-compress')).toEqual(['zlib', undefined]);
    expect(z('--new-compress')).toEqual(['zlibx', undefined]);
    expect(z('--zc=ZSTD', '--zl=3')).toEqual(['zstd', 3]);
    expect(z('--compress-choice=auto')).toEqual([undefined, undefined]);
    expect(z('-z', '--zc=auto')).toEqual(['auto', undefined]);
    expect(z('--compress-level=9')).toEqual(['auto', 9]);
    expect(z('-z', '--no-z')).toEqual([undefined, undefined]);
    expect(z('--zc=none')).toEqual(['none', undefined]);
    expect(opts('--cc=auto').checksumChoice).toBeUndefined();
    expect(opts('--checksum-choice=xxh128').checksumChoice).toBe('xxh128');
  });

  it('sizes, limits and numbers', () => {
    expect(opts('--max-size=1.5K', '--min-size=2KB').maxSize).toBe(1536);
    expect(opts('--min-size=2KB').minSize).toBe(2000);
    expect(opts('--max-size=1M+1').maxSize).toBe(1048577);
    expect(opts('--max-size=1KiB-1').maxSize).toBe(1023);
    expect(opts('--bwlimit=100').bwlimit).toBe(100);
    expect(opts('--bwlimit=1m').bwlimit).toBe(1024);
    expect(opts('--bwlimit=0').bwlimit).toBe(0);
    expect(opts('--protocol=29', '-B200000')).toMatchObject({ protocol: 29, blockSize: 200000 });
    expect(opts('--timeout=0x1e', '--checksum-seed=-7')).toMatchObject({ timeout: 30, checksumSeed: -7 });
    expect([parsePoptInt('010'), parsePoptInt('08'), parsePoptInt(''), parsePoptInt('2147483648')]).toEqual([
      8,
      'bad',
      0,
      'range',
    ]);
    expect(parseSizeArg('', 'b', 'max-size', 0, undefined, false)).toBe(0);
  });

  it('partial, inplace, itemize, filters, inc-recursive', () => {
    expect(opts('--partial-dir', '.p')).toMatchObject({ partial: true, partialDir: '.p' });
    expect(opts('--partial-dir=.')).toMatchObject({ partial: false, partialDir: undefined });
    expect(opts('--partial', '--inplace')).toMatchObject({ partial: false, inplace: true });
    expect(opts('-P').partial).toBe(true);
    expect(opts('--log-format=%i').itemize).toBe(1);
    expect(opts('--log-format=%i%I').itemize).toBe(2);
    expect(parse('--log-format=X').ignored).toEqual(['--log-format=X']);
    const f = opts('--exclude=*.o', '--include', '+ keep', '-F', '-f', '- /tmp/').filters;
    expect(f.map((r) => [r.include, Buffer.from(r.pattern).toString(), r.dirMerge, r.dirOnly])).toEqual([
      [false, '*.o', false, false],
      [true, 'keep', false, false],
      [false, '/.rsync-filter', true, false],
      [false, '/tmp', false, true],
    ]);
    expect(parse('--filter=. /etc/rules').unsupported).toEqual(['--filter (-f)']);
    expect(parse('-r', '--no-i-r').allowIncRecurse).toBe(false);
    expect(parse('-r', '--no-inc-recursive', '--i-r').allowIncRecurse).toBe(true);
    expect(opts('-r', '--no-r', '-d').recursive).toBe(false);
    expect(opts('-D', '--no-specials')).toMatchObject({ devices: true, specials: false });
  });

  it('records what it ignores and what it does not implement', () => {
    const r = parse(
      '-vSkKLAXbUNym',
      '--delay-updates',
      '--backup-dir',
      'bak',
      '--fake-super',
      '--msgs2stderr',
    );
    expect(r.unsupported).toEqual([
      '--sparse (-S)',
      '--copy-dirlinks (-k)',
      '--keep-dirlinks (-K)',
      '--copy-links (-L)',
      '--acls (-A)',
      '--xattrs (-X)',
      '--backup (-b)',
      '--atimes (-U)',
      '--crtimes (-N)',
      '--fuzzy (-y)',
      '--prune-empty-dirs (-m)',
      '--delay-updates',
      '--backup-dir',
      '--fake-super',
    ]);
    expect(r.ignored).toEqual(['--msgs2stderr']);
    expect(parse('-S', '--no-S', '--append', '--no-append').unsupported).toEqual([]);
    expect(parse('-xxh').ignored).toEqual(['-h', '-xx']);
  });

  it('daemon over a remote shell, and secluded args', () => {
    expect(parseServerArgs(['--server', '--daemon', '.'])).toMatchObject({ daemon: true, args: ['.'] });
    const d = parseServerArgs(['--server', '--daemon', '--config=/x', '-v', '.']);
    expect([d.unsupported, d.options.verbose, d.daemonConfig]).toEqual([[], 1, '/x']);
    const first = ['--server', '-slogDtpre.iLsfxCIvu'];
    expect(parseServerArgs(first)).toMatchObject({ secludedArgs: true, args: [] });
    const all = parseServerArgs([...first, '--delete', '.', 'dest']);
    expect([all.options.delete, all.args, all.info]).toEqual(['default', ['.', 'dest'], '.iLsfxCIvu']);
  });
});

// ---------------------------------------------------------------------------
// round trip with serverArgs()

const str = fc.stringMatching(/^[A-Za-z0-9._/-]{1,10}$/);
const optsArb: fc.Arbitrary<TransferOptions> = fc
  .record({
    ...Object.fromEntries(
      (
        'recursive dirs links perms executability times omitDirTimes omitLinkTimes group owner devices ' +
        'specials hardLinks numericIds relative dryRun checksum ignoreTimes sizeOnly update existing ' +
        'ignoreExisting inplace partial deleteExcluded force ignoreErrors cvsExclude listOnly stats ' +
        'safeLinks oneFileSystem'
      )
        .split(' ')
        .map((k) => [k, fc.boolean()]),
    ),
    wholeFile: fc.constantFrom(true, false, undefined),
    partialDir: fc.option(
      str.filter((s) => s !== '.'),
      { nil: undefined },
    ),
    delete: fc.constantFrom('before', 'during', 'delay', 'after', 'default', undefined),
    maxDelete: fc.option(fc.integer({ min: -3, max: 100000 }), { nil: undefined }),
    maxSize: fc.option(fc.nat({ max: 2 ** 45 }), { nil: undefined }),
    minSize: fc.option(fc.nat({ max: 2 ** 45 }), { nil: undefined }),
    compress: fc.constantFrom('zlib', 'zlibx', 'zstd', 'lz4', 'none', 'auto', undefined),
    compressLevel: fc.option(fc.integer({ min: -1, max: 22 }), { nil: undefined }),
    checksumChoice: fc.option(fc.constantFrom('xxh128', 'xxh3', 'md5', 'md4', 'sha1', 'xxh64,md5'), {
      nil: undefined,
    }),
    checksumSeed: fc.option(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), { nil: undefined }),
    blockSize: fc.option(fc.integer({ min: 0, max: 1 << 17 }), { nil: undefined }),
    altDest: fc.option(
      fc.record({
        kind: fc.constantFrom('link', 'compare', 'copy'),
        dirs: fc.array(str, { minLength: 1, maxLength: 20 }),
      }),
      { nil: undefined },
    ),
    timeout: fc.nat({ max: 2 ** 31 - 1 }),
    bwlimit: fc.nat({ max: 2 ** 21 }),
    modifyWindow: fc.integer({ min: -1, max: 1000 }),
    verbose: fc.nat({ max: 12 }),
  })
  .map((r) => {
    const o = makeOptions(r as Partial<TransferOptions>);
    // a real client refuses these combinations before it sends anything (options.c)
    if (o.deleteExcluded) o.delete ??= 'default';
    if (o.delete !== undefined && !o.dirs) o.recursive = true;
    if (o.inplace) o.partialDir = undefined;
    return o;
  });

/** What the server should see of `o` (options.c:server_options() decides what is sent). */
function expected(o: TransferOptions, clientSends: boolean): TransferOptions {
  const zOn = o.compress !== undefined && o.compress !== 'none';
  const maxDelete = o.maxDelete === undefined ? undefined : Math.max(o.maxDelete, 0);
  return makeOptions({
    ...o,
    filters: [],
    itemize: 0,
    quiet: false,
    protocol: makeOptions().protocol,
    verbose: Math.min(o.verbose, 9),
    dirs: o.dirs && !o.recursive && (o.listOnly || (o.delete !== undefined && clientSends)),
    wholeFile: o.wholeFile === true ? true : undefined,
    compressLevel: zOn ? o.compressLevel : undefined,
    checksumSeed: o.checksumSeed === 0 ? undefined : o.checksumSeed,
    omitDirTimes: clientSends && o.omitDirTimes,
    omitLinkTimes: clientSends && o.omitLinkTimes,
    executability: clientSends && !o.perms && o.executability,
    ...(clientSends
      ? {
          maxDelete,
          partial: !o.inplace && (o.partial || o.partialDir !== undefined),
        }
      : {
          ...{ maxDelete: undefined, minSize: undefined, maxSize: undefined, delete: undefined },
          ...{ deleteExcluded: false, force: false, sizeOnly: false, stats: false, modifyWindow: 0 },
          ...{ partial: false, partialDir: undefined, ignoreExisting: false, existing: false },
          altDest: undefined,
        }),
  });
}

describe('parseServerArgs(serverArgs(o))', () => {
  it('gives back every option serverArgs sends', () => {
    const info = fc.option(fc.constantFrom('.iLsfxCIvu', '.LsfxCIvu', '31.14iLsfxCIvu'), { nil: undefined });
    fc.assert(
      fc.property(
        optsArb,
        fc.boolean(),
        info,
        fc.constantFrom(29, 30, 31, 32),
        (o, amSender, inf, protocol) => {
          const sent = serverArgs(o, { amSender, info: inf, protocol });
          const r = parseServerArgs([...sent, '.', 'path']);
          expect(r.amSender).toBe(!amSender);
          expect(r.info).toBe(protocol >= 30 ? inf : undefined);
          expect(r.args).toEqual(['.', 'path']);
          expect([r.ignored, r.unsupported, r.daemon, r.secludedArgs]).toEqual([[], [], false, false]);
          expect(r.options).toEqual(expected(o, amSender));
          // and it encodes back to the same words (rsync never sends --partial with --inplace)
          const again = serverArgs(r.options, { amSender, info: r.info, protocol });
          expect(again).toEqual(sent.filter((w) => !(o.inplace && w === '--partial')));
        },
      ),
      { numRuns: 2000 },
    );
  });
});
