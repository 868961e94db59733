import { CommanderError, type Command } from 'commander';
import { ExitCode, RunbookError, messageOf } from './errors.js';
import { guardOutput } from './output/streams.js';
import { describeFsError } from './state/fs-errors.js';

function writeError(error: RunbookError): void {
  const lines = [`error: ${error.message}`, ...error.details.map((d) => `  ${d}`)];
  if (error.hint) lines.push(`hint: ${error.hint}`);
  process.stderr.write(`${lines.join('\n')}\n`);
}

/** The one place errors become messages and exit codes. */
export async function main(argv: string[]): Promise<number> {
  const debug = argv.includes('--debug');
  guardOutput();
  let code = 0;
  try {
    const { buildProgram } = await import('./cli.js');
    const program = buildProgram((c) => (code = c));
    // Subcommands do not inherit these once built: without them commander's own usage errors
    // (`run` without a phase, `run mid --bogus`, `users diff` without --export) exit 1 by themselves.
    const all = (command: Command): Command[] => [command, ...command.commands.flatMap(all)];
    for (const command of all(program)) {
      command.exitOverride();
      command.configureOutput({ writeErr: (s) => process.stderr.write(s) });
    }
    await program.parseAsync(argv, { from: 'node' });
    return code;
  } catch (thrown) {
    // A full disk or a read-only mount nobody wrapped is still the operator's to fix, not a bug.
    const error = describeFsError(thrown) ?? thrown;
    if (error instanceof CommanderError) {
      // --help and --version exit 0; help shown because something was missing (`migrate users`) is a usage error.
      if (error.exitCode === 0) return 0;
      return ExitCode.usage;
    }
    if (error instanceof RunbookError) {
      writeError(error);
      if (debug && error.cause instanceof Error) process.stderr.write(`${error.cause.stack}\n`);
      return error.exitCode;
    }
    process.stderr.write(`internal error: ${messageOf(error)}\n`);
    if (debug && error instanceof Error) process.stderr.write(`${error.stack}\n`);
    else
      process.stderr.write(
        'This is a bug in migrate. Run again with --debug for the stack trace, and check "migrate status" before going on.\n',
      );
    return ExitCode.stepFailed;
  }
}
