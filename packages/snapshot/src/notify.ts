/**
 * Notification at the end of a job: a command, a mail through the local
 * sendmail, a webhook. The channels run side by side, each with its own time
 * limit (10 s by default); a failure of one is returned as a message, never
 * thrown, so a broken alert path cannot change the job's exit status.
 */
import { spawn } from 'node:child_process';

export interface NotifyConfig {
  /** 'failure': only when the job failed; 'always': after every run. */
  on: 'failure' | 'always';
  /** Run through /bin/sh -c with TSRSYNC_JOB, TSRSYNC_STATUS, TSRSYNC_MESSAGE, TSRSYNC_SNAPSHOT. */
  command?: string | undefined;
  /** Recipient of a mail sent with `sendmail -t -oi`. */
  mail?: string | undefined;
  /** URL that gets the event as a JSON POST. */
  webhook?: string | undefined;
}

export type JobStatus = 'success' | 'failure';

export interface NotifyEvent {
  job: string;
  status: JobStatus;
  exitCode: number;
  /** The committed snapshot's name, if any. */
  snapshot: string | undefined;
  message: string;
  startedAt: Date;
  endedAt: Date;
}

export interface NotifyOptions {
  /** Default /usr/sbin/sendmail. */
  sendmail?: string | undefined;
  /** Limit of each channel; default 10 000 ms. All channels together stay within it plus ~1 s. */
  timeoutMs?: number | undefined;
  /** Environment the command and sendmail start from (default process.env). */
  env?: NodeJS.ProcessEnv | undefined;
}

export const SENDMAIL = '/usr/sbin/sendmail';
const DEFAULT_TIMEOUT_MS = 10_000;

/** The status of a snapshot run with this exit code (24, vanished files, still counts as success). */
export function jobStatus(exitCode: number): JobStatus {
  return exitCode === 0 || exitCode === 24 ? 'success' : 'failure';
}

/** Sends `event` on every configured channel; returns one message per failed channel. */
export async function notify(
  cfg: NotifyConfig,
  event: NotifyEvent,
  o: NotifyOptions = {},
): Promise<string[]> {
  if (cfg.on === 'failure' && event.status !== 'failure') return [];
  const ms = o.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const env = o.env ?? process.env;
  const jobs: Promise<string | undefined>[] = [];
  if (cfg.command !== undefined) {
    const vars = {
      TSRSYNC_JOB: event.job,
      TSRSYNC_STATUS: event.status,
      TSRSYNC_EXIT_CODE: String(event.exitCode),
      TSRSYNC_MESSAGE: event.message,
      TSRSYNC_SNAPSHOT: event.snapshot ?? '',
    };
    jobs.push(
      runChild('/bin/sh', ['-c', cfg.command], { ...env, ...vars }, undefined, ms).then((e) =>
        e === undefined ? undefined : `notify command: ${e}`,
      ),
    );
  }
  if (cfg.mail !== undefined) {
    jobs.push(
      runChild(o.sendmail ?? SENDMAIL, ['-t', '-oi'], env, mailText(cfg.mail, event), ms).then((e) =>
        e === undefined ? undefined : `notify mail to ${cfg.mail}: ${e}`,
      ),
    );
  }
  if (cfg.webhook !== undefined) jobs.push(postWebhook(cfg.webhook, event, ms));
  const errors = await Promise.all(jobs);
  return errors.filter((e): e is string => e !== undefined);
}

/** A header value: one line, at most 200 characters. */
function header(s: string): string {
  return s.replace(/[\r\n]+/g, ' ').slice(0, 200);
}

export function mailText(to: string, e: NotifyEvent): string {
  return [
    `To: ${header(to)}`,
    `Subject: ${header(`tsrsync: ${e.job} ${e.status}`)}`,
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8',
    'Content-Transfer-Encoding: 8bit',
    '',
    `job:       ${e.job}`,
    `status:    ${e.status} (exit code ${e.exitCode})`,
    `snapshot:  ${e.snapshot ?? '(none)'}`,
    `started:   ${e.startedAt.toISOString()}`,
    `ended:     ${e.endedAt.toISOString()}`,
    '',
    // a line of only '.' would end the mail for a sendmail run without -oi
    ...e.message.split('\n').map((l) => (l === '.' ? '..' : l)),
    '',
  ].join('\n');
}

async function postWebhook(url: string, e: NotifyEvent, ms: number): Promise<string | undefined> {
  const body = JSON.stringify({
    job: e.job,
    status: e.status,
    exitCode: e.exitCode,
    snapshot: e.snapshot ?? null,
    message: e.message,
    startedAt: e.startedAt.toISOString(),
    endedAt: e.endedAt.toISOString(),
  });
  try {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
      signal: AbortSignal.timeout(ms),
    });
    await res.body?.cancel().catch(() => undefined);
    return res.ok ? undefined : `notify webhook ${url}: HTTP ${res.status} ${res.statusText}`.trimEnd();
  } catch (err) {
    const er = err as Error & { cause?: Error };
    const why = er.name === 'TimeoutError' ? `no answer within ${ms} ms` : (er.cause?.message ?? er.message);
    return `notify webhook ${url}: ${why}`;
  }
}

/**
 * Runs a program, writing `input` to its stdin; resolves with an error text or
 * undefined when it exited with 0. Killed after `ms`; never waits on pipes that
 * a grandchild keeps open.
 */
function runChild(
  file: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  input: string | undefined,
  ms: number,
): Promise<string | undefined> {
  return new Promise((resolve) => {
    const child = spawn(file, args, {
      env,
      stdio: [input === undefined ? 'ignore' : 'pipe', 'ignore', 'pipe'],
      detached: true,
    });
    let stderr = '';
    let exit: string | undefined;
    let done = false;
    const finish = (err: string | undefined): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      child.stderr?.destroy();
      resolve(err);
    };
    const exited = (): void => {
      const tail = stderr.trim().split('\n').slice(-3).join(' / ');
      finish(exit === undefined ? undefined : `${exit}${tail ? `: ${tail}` : ''}`);
    };
    let timer = setTimeout(() => {
      killGroup(child.pid);
      finish(`no exit within ${ms} ms (killed)`);
    }, ms);
    child.stderr?.setEncoding('utf8').on('data', (d: string) => {
      if (stderr.length < 2000) stderr += d;
    });
    child.on('error', (e) => finish(e.message));
    child.on('exit', (code, sig) => {
      if (code !== 0) exit = sig ? `killed by ${sig}` : `exit code ${code}`;
      // the rest of stderr, unless a grandchild keeps the pipe open
      clearTimeout(timer);
      timer = setTimeout(exited, 200);
    });
    child.on('close', exited);
    if (child.stdin) {
      child.stdin.on('error', () => undefined);
      child.stdin.end(input);
    }
  });
}

function killGroup(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    /* already gone */
  }
}
