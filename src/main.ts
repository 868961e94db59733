import { CommanderError } from 'commander';
import { ExitCode, RunbookError, messageOf } from './errors.js';
import { describeFsError } from './state/fs-errors.js';

function writeError(error: RunbookError): void {
  const lines = [`error: ${error.message}`, ...error.details.map((d) => `  ${d}`)];
  if (error.hint) lines.push(`hint: ${error.hint}`);
  process.stderr.write(`${lines.join('\n')}\n`);
}

/** The one place errors become messages and exit codes. */
export async function main(argv: string[]): Promise<number> {
  const debug = argv.includes('--debug');
  let code = 0;
  try {
    const { buildProgram } = await import('./cli.js');
    const program = buildProgram((c) => (code = c));
    program.exitOverride();
    program.configureOutput({ writeErr: (s) => process.stderr.write(s) });
    await program.parseAsync(argv, { from: 'node' });
    return code;
  } catch (thrown) {
    // A full disk or a read-only mount nobody wrapped is still the operator's to fix, not a bug.
    const error = describeFsError(thrown) ?? thrown;
    if (error instanceof CommanderError) {
      if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.code === 'commander.help') return 0;
      return ExitCode.usage;
    }
    if (error instanceof RunbookError) {
      writeError(error);
      if (debug && error.cause instanceof Error) process.stderr.write(`${error.cause.stack}\n`);
      return error.exitCode;
    }
    process.stderr.write(`internal error: ${messageOf(error)}\n`);
    if (debug && error instanceof Error) process.stderr.write(`${error.stack}\n`);
    else process.stderr.write('This is a bug in migrate. Run again with --debug for the stack trace, and check "migrate status" before going on.\n');
    return ExitCode.stepFailed;
  }
}
