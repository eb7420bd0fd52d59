import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readAccounts } from './accounts.js';
import { parseRsyncdConf } from './config.js';
import { moduleIdentity } from './identity.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'tsrsync-ids-'));
writeFileSync(
  path.join(dir, 'passwd'),
  'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\nweb:x:1001:1001::/srv:/bin/sh\n',
);
writeFileSync(
  path.join(dir, 'group'),
  'root:x:0:\nnogroup:x:65534:\nweb:x:1001:\nwww-data:x:33:web,other\nbackup:x:34:web\n',
);
const db = readAccounts(path.join(dir, 'passwd'), path.join(dir, 'group'));
const mod = (extra: string) => parseRsyncdConf(`[m]\npath = /srv\n${extra}`, 'rsyncd.conf').modules[0]!;

describe('moduleIdentity (clientserver.c:rsync_module())', () => {
  it('a root daemon defaults to nobody and nogroup', () => {
    expect(moduleIdentity(mod(''), true, db)).toEqual({ identity: { uid: 65534, gids: [65534] } });
  });
  it('another daemon keeps its ids unless told', () => {
    expect(moduleIdentity(mod(''), false, db)).toEqual({ identity: { uid: undefined, gids: [] } });
  });
  it('names and numbers; a gid list keeps its order, primary first', () => {
    expect(moduleIdentity(mod('uid = web\ngid = www-data, 34 web'), true, db)).toEqual({
      identity: { uid: 1001, gids: [33, 34, 1001] },
    });
    expect(moduleIdentity(mod('uid = 4242\ngid = 4343'), true, db)).toEqual({
      identity: { uid: 4242, gids: [4343] },
    });
  });
  it('gid = * is every group of the uid, then any named after it', () => {
    expect(moduleIdentity(mod('uid = web\ngid = * root'), true, db)).toEqual({
      identity: { uid: 1001, gids: [1001, 33, 34, 0] },
    });
  });
  it("names that do not resolve give rsync's errors", () => {
    expect(moduleIdentity(mod('uid = ghost'), true, db)).toEqual({ error: 'invalid uid ghost' });
    expect(moduleIdentity(mod('uid = web\ngid = web ghosts'), true, db)).toEqual({
      error: 'invalid gid ghosts',
    });
    expect(moduleIdentity(mod('uid = 4242\ngid = *'), true, db)).toEqual({ error: 'getpwuid failed' });
  });
  it('groups of a user by name, for @group in auth users', () => {
    expect(db.groupNamesOf('web')).toEqual(['web', 'www-data', 'backup']);
    expect(db.groupNamesOf('other')).toEqual(['www-data']);
    expect(db.nobodyGroup()).toBe('nogroup');
  });
});
