/** Entry point of the `tsrsync` command: returns the process exit code (rsync's codes). */
export async function main(argv: readonly string[]): Promise<number> {
  if (argv.length === 0 || argv[0] === '--help' || argv[0] === '-h') {
    process.stdout.write('usage: tsrsync <pull|push|ls|snapshot|daemon> [options] ...\n');
    return 0;
  }
  process.stderr.write(`tsrsync: unknown command: ${argv[0]}\n`);
  return 1;
}
