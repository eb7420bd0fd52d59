/**
 * Keeping what a daemon client names inside its module
 * (util1.c:sanitize_path()): a leading '/' means the module's top, "."
 * components go, ".." never climbs above the top.
 */
import fs from 'node:fs';
import path from 'node:path';

/** A module-relative path with no way out ('' = the module's top). Keeps a trailing '/'. */
export function sanitizePath(p: string): string {
  const out: string[] = [];
  for (const c of p.split('/')) {
    if (c === '' || c === '.') continue;
    if (c === '..') out.pop();
    else out.push(c);
  }
  const s = out.join('/');
  return s !== '' && p.endsWith('/') ? `${s}/` : s;
}

/**
 * A client path argument `module/rest` (or `module`) as a path inside the
 * module's directory; undefined when it names another module.
 */
export function moduleArgPath(arg: string, module: string, root: string): string | undefined {
  let rest: string;
  if (arg === module) rest = '';
  else if (arg.startsWith(`${module}/`)) rest = arg.slice(module.length + 1);
  else return undefined;
  const rel = sanitizePath(rest);
  const trailing = rest === '' || rest.endsWith('/') || rest.endsWith('/.') || rest === '.';
  const abs = rel === '' ? root : path.join(root, rel);
  return trailing ? `${abs.replace(/\/+$/, '')}/` : abs;
}

/** Whether `p` (following symlinks as far as it exists) stays inside `root`. */
export function staysInside(p: string, root: string): boolean {
  const realRoot = fs.realpathSync(root);
  let cur = path.resolve(p);
  const tail: string[] = [];
  for (;;) {
    try {
      const real = fs.realpathSync(cur);
      const full = path.join(real, ...tail.reverse());
      return full === realRoot || full.startsWith(`${realRoot}/`);
    } catch {
      const parent = path.dirname(cur);
      if (parent === cur) return false;
      tail.push(path.basename(cur));
      cur = parent;
    }
  }
}
