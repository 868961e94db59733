import { Listr, type ListrTaskWrapper, type ListrDefaultRenderer, type ListrSimpleRenderer } from 'listr2';
import type { EngineEvent } from '../engine/events.js';
import { formatDuration } from '../util/duration.js';
import { plainRenderer } from './plain.js';
import { LABEL, sourceWord } from './plain.js';
import { c } from './style.js';

type Task = ListrTaskWrapper<unknown, ListrDefaultRenderer, ListrSimpleRenderer>;

interface Deferred<T> {
  promise: Promise<T>;
  resolve(value: T): void;
  settled: boolean;
}

function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void;
  const d = { settled: false } as Deferred<T>;
  d.promise = new Promise<T>((r) => (resolve = r));
  d.resolve = (v) => {
    if (d.settled) return;
    d.settled = true;
    resolve(v);
  };
  return d;
}

interface Slot {
  title: string;
  started: Deferred<void>;
  active: Deferred<Task>;
  ended: Deferred<Extract<EngineEvent, { kind: 'step-end' }>>;
}

/**
 * listr2 on a TTY. The engine owns the order of steps; this view only mirrors it: one listr task
 * per step, each waiting for the engine's events about its step. Prompts run inside the active
 * task (listr's prompt adapter), so they render in place.
 */
export class ListrView {
  private slots = new Map<string, Slot>();
  private finished = deferred<void>();
  private running: Promise<void> | undefined;
  private lastStarted: string | undefined;
  private outcome: Extract<EngineEvent, { kind: 'run-end' }> | undefined;

  slot(ref: string): Slot {
    let s = this.slots.get(ref);
    if (!s) {
      s = { title: ref, started: deferred(), active: deferred(), ended: deferred() };
      this.slots.set(ref, s);
    }
    return s;
  }

  /** The listr task of a step, once listr has started it (prompts wait for this). */
  activeTask(ref: string): Promise<Task> {
    return this.slot(ref).active.promise;
  }

  /** The task of the step the engine is on now, if any. */
  currentTask(): Promise<Task> | undefined {
    return this.lastStarted ? this.activeTask(this.lastStarted) : undefined;
  }

  handle = (event: EngineEvent): void => {
    const k = c();
    switch (event.kind) {
      case 'run-start': {
        const header = `${event.command} · env ${event.env}${event.dryRun ? ' · DRY RUN (read-only)' : ''}${event.timeScale !== 1 ? ` · time scale ${event.timeScale}` : ''}`;
        process.stdout.write(`${k.bold(header)}\n${event.caller ? `${k.dim(`  ${event.caller}`)}\n` : ''}`);
        this.start(event.refs, event.titles ?? {});
        break;
      }
      case 'step-start': {
        const s = this.slot(event.ref);
        s.title = `${event.ref}  ${event.title}`;
        this.lastStarted = event.ref;
        s.started.resolve();
        break;
      }
      case 'step-progress':
        this.say(event.ref, event.message, true);
        break;
      case 'step-warning':
        this.say(event.ref, k.yellow(`! ${event.message}`));
        break;
      case 'step-planned':
        this.say(event.ref, [`${event.summary}${c().dim(sourceWord(event))}`, ...event.diff.map((l) => k.dim(`  ${l}`))].join('\n'));
        break;
      case 'drift':
        this.say(event.ref, [k.red('drift:'), ...event.lines].join('\n'));
        break;
      case 'step-end':
        this.slot(event.ref).ended.resolve(event);
        break;
      case 'run-end':
        this.outcome = event;
        this.finished.resolve();
        break;
    }
  };

  /**
   * listr2 appends every value assigned to task.output as new lines of the output bar, so each
   * line is assigned once; progress goes into the title, where it replaces the previous one.
   */
  private say(ref: string, text: string, transient = false): void {
    const s = this.slot(ref);
    void s.active.promise.then((task) => {
      if (transient) task.title = `${s.title} ${c().dim(`— ${text}`)}`;
      else task.output = text;
    });
  }

  private start(refs: string[], titles: Record<string, string>): void {
    const list = new Listr(
      refs.map((ref) => ({
        title: titles[ref] ? `${ref}  ${titles[ref]}` : ref,
        rendererOptions: { persistentOutput: true, outputBar: Infinity },
        task: async (_ctx: unknown, task: Task) => {
          const s = this.slot(ref);
          await Promise.race([s.started.promise, this.finished.promise]);
          if (!s.started.settled) {
            task.skip(`${ref} not run`);
            return;
          }
          task.title = s.title;
          s.active.resolve(task);
          await Promise.race([s.ended.promise, this.finished.promise]);
          const end = s.ended.settled ? await s.ended.promise : undefined;
          if (!end) return;
          const took = c().dim(` (${formatDuration(end.durationMs)})`);
          const label = LABEL[end.status] ?? end.status.replace(/-/g, ' ');
          if (end.status === 'failed' || end.status === 'would-fail') {
            throw new Error(`${end.message ?? 'failed'}${end.hint ? `\n${c().dim(`hint: ${end.hint}`)}` : ''}`);
          }
          if (end.status === 'skipped' || end.status === 'nothing-to-undo' || end.status === 'interrupted') {
            task.title = `${s.title} — ${end.message ?? label}`;
            task.skip(task.title);
            return;
          }
          task.title = `${s.title} — ${end.status === 'already-applied' && end.message ? end.message : label}${took}`;
        },
      })),
      // listr2's own SIGINT handler exits 127 at once, before the engine's clean stop (interrupted
      // step recorded, lock released, resume command printed): the session handles the signals.
      {
        concurrent: false,
        exitOnError: false,
        registerSignalListeners: false,
        rendererOptions: { collapseErrors: false, collapseSkips: false, showErrorMessage: true },
      },
    );
    this.running = list.run().then(
      () => undefined,
      () => undefined,
    );
  }

  /** Waits until listr has drawn its last frame. */
  async done(): Promise<void> {
    this.finished.resolve();
    await this.running;
    // Below the last frame, as without a terminal: the outcome, and after a failure or an abort
    // the exact command that resumes.
    if (this.outcome) plainRenderer((line) => process.stdout.write(`${line}\n`))(this.outcome);
    this.outcome = undefined;
  }
}
