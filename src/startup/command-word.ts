/**
 * Which command an argv names, worked out without commander (loading it is a quarter of a small
 * command's start-up): the first word that is not an option or a global option's value. Used only
 * to choose how the CLI is loaded, never what it does, so a wrong guess costs time and nothing else.
 */

/** The program's options that take a value (cli.ts): the word after one is not the command. */
const VALUED = new Set(['--runbook', '--env', '--state-dir', '--state', '--profile']);

export function commandWord(args: readonly string[]): string | undefined {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--') return args[i + 1];
    if (VALUED.has(arg)) i++;
    else if (!arg.startsWith('-')) return arg;
  }
  return undefined;
}

/**
 * The short commands that load the AWS SDK on their way: they start faster from the one-file
 * bundle and its V8 code cache (startup/code-cache.ts). The others start faster from the small chunks, which is all they read. Long commands (users, watch, rehearse, sandbox)
 * stay on the chunks too: a faster start is nothing to them, and the whole bundle held in memory
 * would count against `users diff`'s 200 MB.
 */
const SDK_COMMANDS = new Set(['plan', 'run', 'rollback', 'state']);

/**
 * --debug prints source-mapped stacks, which the chunks give. Help and the version load no SDK,
 * and a cache written by them would hold too little of the code the command itself runs.
 */
const ON_THE_CHUNKS = new Set(['--debug', '--help', '-h', '--version', '-V']);

/** The command to start from the code-cached bundle (its cache is kept per command), if this is one. */
export function codeCacheCommand(argv: readonly string[]): string | undefined {
  if (process.env.MIGRATE_CODE_CACHE === '0' || argv.some((arg) => ON_THE_CHUNKS.has(arg))) return undefined;
  const word = commandWord(argv.slice(2));
  return word !== undefined && SDK_COMMANDS.has(word) ? word : undefined;
}
