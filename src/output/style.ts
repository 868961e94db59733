import { Chalk, type ChalkInstance } from 'chalk';
import { colourWanted } from './colour.js';

/**
 * One chalk for the process, decided the first time anything is coloured: --no-color, NO_COLOR
 * and a non-TTY stdout turn it off. Decided here rather than in main, so `--help` never loads chalk.
 */
let instance: ChalkInstance | undefined;

export function c(): ChalkInstance {
  instance ??= new Chalk({ level: colourWanted() ? new Chalk().level || 1 : 0 });
  return instance;
}
