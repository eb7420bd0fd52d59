/** Runs the tsrsync CLI in-process and collects what it prints. */
import { main } from 'tsrsync';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export async function tsrsync(...argv: string[]): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  const code = await main(argv, { out: (s) => (stdout += s), err: (s) => (stderr += s) });
  return { code, stdout, stderr };
}

/** The figure after "label: " in rsync's --stats output (digits with commas). */
export function statFigure(out: string, label: string): number {
  const m = new RegExp(`^${label}: ([0-9,]+)`, 'm').exec(out);
  if (!m) throw new Error(`no "${label}" in output:\n${out}`);
  return Number(m[1]!.replace(/,/g, ''));
}
