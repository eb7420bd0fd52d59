import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { jobStatus, mailText, notify, type NotifyEvent } from './notify.js';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrsync-notify-'));
});
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

const event = (over: Partial<NotifyEvent> = {}): NotifyEvent => ({
  job: 'web',
  status: 'failure',
  exitCode: 23,
  snapshot: undefined,
  message: 'websites/: some files could not be transferred',
  startedAt: new Date('2026-12-01T02:00:00Z'),
  endedAt: new Date('2026-12-01T02:05:00Z'),
  ...over,
});

/** An http server on 127.0.0.1 (random port) answering with `handler`; records the requests. */
async function server(
  handler: (req: http.IncomingMessage, res: http.ServerResponse, body: string) => void,
): Promise<{ url: string; requests: { method: string; type: string; body: string }[]; close(): void }> {
  const requests: { method: string; type: string; body: string }[] = [];
  const s = http.createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8').on('data', (d: string) => (body += d));
    req.on('end', () => {
      requests.push({ method: req.method ?? '', type: req.headers['content-type'] ?? '', body });
      handler(req, res, body);
    });
  });
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const port = (s.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    requests,
    close: () => {
      s.closeAllConnections();
      s.close();
    },
  };
}

describe('notify: command', () => {
  it('runs the command with the event in its environment', async () => {
    const out = path.join(dir, 'env.txt');
    const cmd = `printf '%s\\n' "$TSRSYNC_JOB" "$TSRSYNC_STATUS" "$TSRSYNC_EXIT_CODE" "$TSRSYNC_SNAPSHOT" "$TSRSYNC_MESSAGE" > "$OUT"`;
    const errors = await notify(
      { on: 'always', command: cmd },
      event({ status: 'success', exitCode: 0, snapshot: '2026-12-01T020000Z', message: 'all fine' }),
      { env: { ...process.env, OUT: out } },
    );
    expect(errors).toEqual([]);
    expect(fs.readFileSync(out, 'utf8').split('\n')).toEqual([
      'web',
      'success',
      '0',
      '2026-12-01T020000Z',
      'all fine',
      '',
    ]);
  });

  it("skips every channel for a success when on is 'failure'", async () => {
    const out = path.join(dir, 'ran');
    const errors = await notify(
      { on: 'failure', command: `touch "${out}"`, mail: 'ops@example.com' },
      event({ status: 'success', exitCode: 0 }),
      { sendmail: path.join(dir, 'missing-sendmail') },
    );
    expect(errors).toEqual([]);
    expect(fs.existsSync(out)).toBe(false);
  });

  it('reports a failing command with its exit code and stderr', async () => {
    const errors = await notify({ on: 'failure', command: 'echo "no route to pager" >&2; exit 3' }, event());
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^notify command: exit code 3: no route to pager$/);
  });

  it('kills a command that does not end within the limit', async () => {
    const t0 = Date.now();
    const errors = await notify({ on: 'failure', command: 'sleep 30' }, event(), { timeoutMs: 300 });
    expect(errors).toEqual(['notify command: no exit within 300 ms (killed)']);
    expect(Date.now() - t0).toBeLessThan(5000);
  });

  it('does not wait for a background process that keeps stderr open', async () => {
    const t0 = Date.now();
    const errors = await notify({ on: 'failure', command: 'sleep 3 >&2 & exit 0' }, event());
    expect(errors).toEqual([]);
    expect(Date.now() - t0).toBeLessThan(2500);
  });
});

describe('notify: mail', () => {
  it('pipes the mail to sendmail -t -oi', async () => {
    const fake = path.join(dir, 'sendmail');
    fs.writeFileSync(fake, `#!/bin/sh\necho "$@" > "${dir}/args"\ncat > "${dir}/mail"\n`, { mode: 0o755 });
    const errors = await notify({ on: 'failure', mail: 'ops@example.com' }, event(), { sendmail: fake });
    expect(errors).toEqual([]);
    expect(fs.readFileSync(path.join(dir, 'args'), 'utf8')).toBe('-t -oi\n');
    const mail = fs.readFileSync(path.join(dir, 'mail'), 'utf8');
    const [head, body] = mail.split('\n\n', 2);
    expect(head!.split('\n')).toContain('To: ops@example.com');
    expect(head!.split('\n')).toContain('Subject: tsrsync: web failure');
    expect(body).toContain('exit code 23');
    expect(mail).toContain('websites/: some files could not be transferred');
  });

  it('reports a missing or failing sendmail without throwing', async () => {
    const missing = await notify({ on: 'failure', mail: 'a@b' }, event(), {
      sendmail: path.join(dir, 'nope'),
    });
    expect(missing).toHaveLength(1);
    expect(missing[0]).toMatch(/^notify mail to a@b: .*ENOENT/);
    const bad = path.join(dir, 'bad-sendmail');
    fs.writeFileSync(bad, '#!/bin/sh\ncat >/dev/null\necho "queue full" >&2\nexit 75\n', { mode: 0o755 });
    const failed = await notify({ on: 'failure', mail: 'a@b' }, event(), { sendmail: bad });
    expect(failed).toEqual(['notify mail to a@b: exit code 75: queue full']);
  });

  it('keeps headers on one line', () => {
    const text = mailText('ops@example.com\nBcc: x@evil', event({ job: 'web\nBcc: y@evil' }));
    const head = text.split('\n\n')[0]!.split('\n');
    expect(head.filter((l) => l.startsWith('Bcc'))).toEqual([]);
    expect(head[0]).toBe('To: ops@example.com Bcc: x@evil');
  });
});

describe('notify: webhook', () => {
  it('POSTs the event as JSON', async () => {
    const s = await server((_req, res) => res.end('ok'));
    try {
      const e = event({ snapshot: '2026-12-01T020000Z' });
      const errors = await notify({ on: 'always', webhook: s.url }, e);
      expect(errors).toEqual([]);
      expect(s.requests).toHaveLength(1);
      expect(s.requests[0]!.method).toBe('POST');
      expect(s.requests[0]!.type).toBe('application/json');
      expect(JSON.parse(s.requests[0]!.body)).toEqual({
        job: 'web',
        status: 'failure',
        exitCode: 23,
        snapshot: '2026-12-01T020000Z',
        message: e.message,
        startedAt: '2026-12-01T02:00:00.000Z',
        endedAt: '2026-12-01T02:05:00.000Z',
      });
    } finally {
      s.close();
    }
  }, 15_000);

  it('reports an HTTP error status', async () => {
    const s = await server((_req, res) => {
      res.statusCode = 503;
      res.end('down');
    });
    try {
      const errors = await notify({ on: 'failure', webhook: s.url }, event());
      expect(errors).toHaveLength(1);
      expect(errors[0]).toMatch(/^notify webhook http:\/\/127\.0\.0\.1:\d+\/hook: HTTP 503/);
    } finally {
      s.close();
    }
  }, 15_000);

  it('gives up on a server that does not answer', async () => {
    const s = await server(() => undefined);
    const t0 = Date.now();
    try {
      const errors = await notify({ on: 'failure', webhook: s.url }, event(), { timeoutMs: 300 });
      expect(errors).toEqual([`notify webhook ${s.url}: no answer within 300 ms`]);
      expect(Date.now() - t0).toBeLessThan(5000);
    } finally {
      s.close();
    }
  }, 15_000);

  it('reports a refused connection', async () => {
    const s = await server((_req, res) => res.end());
    s.close();
    const errors = await notify({ on: 'failure', webhook: s.url }, event());
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^notify webhook .*ECONNREFUSED/);
  }, 15_000);
});

describe('notify: several channels', () => {
  it('runs them all and returns one message per failed channel', async () => {
    const out = path.join(dir, 'ran');
    const errors = await notify(
      { on: 'failure', command: `touch "${out}"`, mail: 'a@b', webhook: 'http://127.0.0.1:1/' },
      event(),
      { sendmail: path.join(dir, 'nope') },
    );
    expect(fs.existsSync(out)).toBe(true);
    expect(errors.map((e) => e.split(':')[0])).toEqual(['notify mail to a@b', 'notify webhook http']);
  }, 15_000);

  it('jobStatus: 0 and 24 are successes, the rest failures', () => {
    expect([0, 24, 23, 1, 20, 30].map(jobStatus)).toEqual([
      'success',
      'success',
      'failure',
      'failure',
      'failure',
      'failure',
    ]);
  });
});
