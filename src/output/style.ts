import { Chalk, type ChalkInstance } from 'chalk';

/** One chalk for the process: --no-color and NO_COLOR turn it off, and so does a non-TTY. */
let instance: ChalkInstance = new Chalk();

export function configureColor(enabled: boolean | undefined, stream: NodeJS.WriteStream = process.stdout): void {
  const off = enabled === false || process.env.NO_COLOR !== undefined && process.env.NO_COLOR !== '' || !stream.isTTY;
  instance = new Chalk({ level: off ? 0 : instance.level || 1 });
}

export function c(): ChalkInstance {
  return instance;
}
