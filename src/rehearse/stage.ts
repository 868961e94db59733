import { messageOf } from '../errors.js';
import { c } from '../output/style.js';
import { stageLine, type StageResult } from './report.js';

/**
 * A rehearsal stage: its heading, then its outcome as one line; a failure is recorded, not
 * thrown, so the rehearsal can report every stage it reached. Shared by every rehearsal.
 */
export function stageRunner(stages: StageResult[], say: (line?: string) => void) {
  return async function stage(name: string, work: () => Promise<string>): Promise<boolean> {
    const started = Date.now();
    say();
    say(c().bold(`── ${name}`));
    let result: StageResult;
    try {
      result = { name, ok: true, detail: await work(), durationMs: Date.now() - started };
    } catch (error) {
      result = { name, ok: false, detail: messageOf(error), durationMs: Date.now() - started };
    }
    stages.push(result);
    say((result.ok ? c().green : c().red)(stageLine(result)));
    return result.ok;
  };
}
