/** Whether output is coloured: --no-color, NO_COLOR and a non-TTY stdout turn it off. No chalk here. */
export function colourWanted(argv: string[] = process.argv, stream: NodeJS.WriteStream = process.stdout): boolean {
  if (argv.includes('--no-color')) return false;
  if (process.env.NO_COLOR !== undefined && process.env.NO_COLOR !== '') return false;
  return !!stream.isTTY;
}
