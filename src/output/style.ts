import { Chalk, type ChalkInstance } from 'chalk';

/**
 * One chalk for the process, decided the first time anything is coloured: --no-color, NO_COLOR
 * and a non-TTY stdout turn it off. Decided here rather than in main, so `--help` never loads chalk.
 */
let instance: ChalkInstance | undefined;

function colourWanted(argv: string[] = process.argv, stream: NodeJS.WriteStream = process.stdout): boolean {
  if (argv.includes('--no-color')) return false;
  if (process.env.NO_COLOR !== undefined && process.env.NO_COLOR !== '') return false;
  return !!stream.isTTY;
}

export function c(): ChalkInstance {
  instance ??= new Chalk({ level: colourWanted() ? new Chalk().level || 1 : 0 });
  return instance;
}
