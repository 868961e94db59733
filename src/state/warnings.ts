/**
 * Warnings about the operator's own files (a mode narrowed, a torn audit line kept aside, a dry
 * run's audit entry skipped) go to stderr at once, whatever the command prints on stdout.
 */
export function warn(message: string): void {
  process.stderr.write(`warning: ${message}\n`);
}
