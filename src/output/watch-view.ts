import type { EventSink } from '../engine/events.js';
import { formatDuration } from '../util/duration.js';
import type { TriggerStatus } from '../watch/triggers.js';
import type { WatchEvent, WatchSink, WatchView } from '../watch/types.js';
import { plainRenderer } from './plain.js';
import { c } from './style.js';

export interface WatchRenderer {
  sink: WatchSink;
  /** Engine events of a rollback the watch runs, printed as `migrate rollback` prints them. */
  rollbackEmit: EventSink;
  /** Hides the live table (for a prompt); `resume` draws it again. */
  pause(): void;
  resume(): void;
  /** Lines that belong above the table (a notify command's failure). */
  print(lines: string[]): void;
}

const BELL = '\x07';

/** Plan time: what the runbook says ("1h"), whatever the scale. */
function plan(realMs: number, scale: number): string {
  return formatDuration(realMs * scale);
}

function clock(ms: number): string {
  return new Date(ms).toLocaleTimeString('en-GB', { hour12: false });
}

/** One trigger in words: "rollback 4 in 48m", "rollback 4 DUE NOW", "rollback 4 fired 10:03:12". */
export function describeTrigger(t: TriggerStatus, scale: number): string {
  const k = c();
  const name = `rollback ${t.rollback}`;
  switch (t.state) {
    case 'counting':
      return k.yellow(`${name} in ${plan(t.remainingMs ?? 0, scale)}`);
    case 'due':
      return k.red.bold(`${name} DUE NOW`);
    case 'fired':
      return k.cyan(`${name} fired ${clock(t.firedAt ?? 0)}${t.lastFired && t.lastFired.result !== 'running' ? ` (${t.lastFired.result})` : ''}`);
    case 'not-armed':
      return k.dim(`${name}: nothing to undo`);
    default:
      return k.dim(`${name} after ${formatDuration(t.failingForMs)} failing`);
  }
}

function dueBanner(event: Extract<WatchEvent, { kind: 'trigger-due' }>, scale: number): string[] {
  const k = c();
  const t = event.trigger;
  const since = t.failingSince ?? 0;
  const lines = [
    k.red.bold(`!!! rollback ${t.rollback} is due: ${t.check} has been failing for ${plan(Date.now() - since, scale)} (since ${new Date(since).toISOString()}; the trigger is ${formatDuration(t.failingForMs)})`),
    `    ${t.title}`,
    `    ${k.bold(event.command)}`,
  ];
  lines.push(event.autoRollback ? '    --auto-rollback: running it now.' : '    Nothing has been changed. Run the command above to roll back.');
  return lines;
}

/** The lines both views print for an event (the TTY view puts them above its table). */
function eventLines(event: WatchEvent): string[] {
  const k = c();
  switch (event.kind) {
    case 'watch-start': {
      const triggers = event.view.triggers.map((t) => `rollback ${t.rollback} after ${t.check} fails ${formatDuration(t.failingForMs)}`);
      const head = [
        `migrate watch · ${event.runbook} · env ${event.env}`,
        `${event.checks.length} check${event.checks.length === 1 ? '' : 's'}`,
        event.autoRollback ? 'AUTO-ROLLBACK on' : 'alerts only (no --auto-rollback)',
        event.timeScale !== 1 ? `time scale ${event.timeScale}` : '',
        event.forMs !== undefined ? `for ${formatDuration(event.forMs)}` : '',
      ].filter(Boolean);
      const lines = [k.bold(head.join(' · ')), `  triggers: ${triggers.join('; ') || 'none (checks are only shown)'}`];
      for (const r of Object.entries(event.view.checks)) {
        if (r[1].failingSince !== null) lines.push(k.yellow(`  ${r[0]} was failing since ${new Date(r[1].failingSince).toISOString()} when the last watch stopped; that time is kept`));
      }
      for (const w of event.warnings) lines.push(k.yellow(`! ${w}`));
      return lines;
    }
    case 'trigger-due':
      // windowMs is failingForMs divided by the scale.
      return dueBanner(event, event.trigger.windowMs > 0 ? event.trigger.failingForMs / event.trigger.windowMs : 1);
    case 'rollback-locked':
      if (!event.first) return [];
      return [k.yellow(`! rollback ${event.trigger.rollback} is due but cannot start: ${event.error.message}`), k.dim(`  ${event.error.hint ?? ''} The watch tries again on its next tick.`)];
    case 'rollback-start':
      return [k.bold(`>>> rollback ${event.trigger.rollback} (${event.how === 'auto' ? 'auto-rollback' : 'confirmed'}): ${event.trigger.title}`)];
    case 'rollback-end': {
      const f = event.fired;
      if (f.result === 'ok') return [k.green.bold(`<<< rollback ${f.rollback} done; the watch goes on`)];
      const lines = [
        k.red.bold(`!!! rollback ${f.rollback} ${f.result === 'drift' ? 'REFUSED: drift' : f.result === 'aborted' ? 'was interrupted' : 'FAILED'}: ${event.error?.message ?? ''}`),
        ...(event.error?.details ?? []).map((d) => `    ${d}`),
      ];
      if (event.error?.hint) lines.push(`    hint: ${event.error.hint}`);
      lines.push(`    The watch will not run it again while this failure lasts. By hand: ${event.command}${f.result === 'drift' ? ' --force' : ''}`);
      return lines;
    }
    case 'warning':
      return [k.yellow(`! ${event.message}`)];
    case 'watch-end': {
      const o = event.outcome;
      const why = o.reason === 'for' ? '--for has passed' : o.reason === 'until' ? 'its condition holds' : 'interrupted';
      return [`watch ended (${why})${o.fired.length ? `; rollbacks run: ${o.fired.map((f) => `${f.rollback} (${f.result})`).join(', ')}` : '; no rollback was run'}`];
    }
    default:
      return [];
  }
}

/** Plain lines for CI, pipes and logs: one line per state change, no cursor movement. */
export function plainWatchView(write: (line: string) => void): WatchRenderer {
  const engine = plainRenderer(write);
  const stamp = (ms: number) => c().dim(new Date(ms).toISOString());
  return {
    sink(event) {
      if (event.kind === 'check-changed') {
        const ch = event.change;
        const triggers = event.view.triggers.filter((t) => t.check === ch.check);
        const scale = event.view.timeScale;
        const k = c();
        let line: string;
        if (ch.to) {
          line = `${stamp(ch.at)}  ${ch.check}  ${k.green(ch.from === false ? 'FAILING -> ok' : 'ok')}`;
        } else {
          const due = triggers.map((t) => (t.dueAt === null ? '' : `${describeTrigger(t, scale)} (at ${new Date(t.dueAt).toISOString()})`)).filter(Boolean);
          line = `${stamp(ch.at)}  ${ch.check}  ${k.red(ch.from === true ? 'ok -> FAILING' : 'FAILING')} since ${new Date(ch.failingSince ?? ch.at).toISOString()}${ch.resumed ? ' (kept from before the restart)' : ''}${due.length ? `; ${due.join('; ')}` : ''}`;
        }
        write(`${line}${ch.detail && !ch.to ? k.dim(`  (${ch.detail})`) : ''}`);
        return;
      }
      const lines = eventLines(event);
      // The bell rides on the banner's first line rather than printing an empty one.
      if (event.kind === 'trigger-due' && lines[0] !== undefined) lines[0] = `${BELL}${lines[0]}`;
      for (const line of lines) write(line);
    },
    rollbackEmit: engine,
    pause() {},
    resume() {},
    print(lines) {
      for (const line of lines) write(line);
    },
  };
}

/** The live table on a terminal, redrawn in place; messages scroll above it. */
export function ttyWatchView(out: NodeJS.WriteStream): WatchRenderer {
  let drawn = 0;
  let paused = 0;
  let last: WatchView | undefined;
  let names: string[] = [];
  let lastDraw = 0;
  const write = (text: string) => out.write(text);
  const erase = () => {
    if (drawn > 0) write(`\x1b[${drawn}F\x1b[0J`);
    drawn = 0;
  };
  const draw = () => {
    if (paused > 0 || !last) return;
    const lines = table(last, out.columns || 100, names);
    erase();
    write(`${lines.join('\n')}\n`);
    drawn = lines.length;
    lastDraw = Date.now();
  };
  const above = (lines: string[]) => {
    if (lines.length === 0) return;
    erase();
    write(`${lines.join('\n')}\n`);
    draw();
  };
  const engine = plainRenderer((line) => write(`${line}\n`));
  return {
    sink(event) {
      if ('view' in event) last = event.view;
      if (event.kind === 'watch-start') names = event.checks.map((check) => check.name);
      if (event.kind === 'watch-end') last = event.outcome.view;
      switch (event.kind) {
        case 'tick':
          if (Date.now() - lastDraw >= 250) draw();
          return;
        case 'check-changed':
          draw();
          return;
        case 'trigger-due':
          // No redraw here: the table would show the view of the tick before; the next tick (or
          // the end of the prompt) draws it again.
          erase();
          write(`${BELL}${eventLines(event).join('\n')}\n`);
          return;
        case 'rollback-start':
          // The rollback's own lines follow; the table comes back when it ends.
          erase();
          write(`${eventLines(event).join('\n')}\n`);
          paused += 1;
          return;
        case 'rollback-end':
          paused = Math.max(0, paused - 1);
          above(eventLines(event));
          return;
        case 'watch-end':
          draw();
          write(`${eventLines(event).join('\n')}\n`);
          drawn = 0;
          return;
        default:
          above(eventLines(event));
      }
    },
    rollbackEmit: engine,
    pause() {
      erase();
      paused += 1;
    },
    resume() {
      paused = Math.max(0, paused - 1);
      draw();
    },
    print: above,
  };
}

/** check · state · failing since · what its rollback does next. */
export function table(view: WatchView, columns: number, checks: string[] = []): string[] {
  const k = c();
  const names = [...checks];
  for (const name of Object.keys(view.checks)) if (!names.includes(name)) names.push(name);
  for (const t of view.triggers) if (!names.includes(t.check)) names.push(t.check);
  const width = Math.max(5, ...names.map((n) => n.length));
  const head = k.dim(`  ${'check'.padEnd(width)}  ${'state'.padEnd(8)}  ${'failing since'.padEnd(24)}  rollback`);
  const rows = [head];
  for (const name of names) {
    const r = view.checks[name];
    const state = r?.ok === true ? k.green('ok'.padEnd(8)) : r?.ok === false ? k.red.bold('FAILING'.padEnd(8)) : k.dim('…'.padEnd(8));
    const since = r?.failingSince != null ? `${clock(r.failingSince)} (${plan(view.now - r.failingSince, view.timeScale)})` : '';
    const triggers = view.triggers.filter((t) => t.check === name).map((t) => describeTrigger(t, view.timeScale));
    rows.push(`  ${name.padEnd(width)}  ${state}  ${since.padEnd(24)}  ${triggers.join('; ')}`);
    if (r?.ok === false && r.detail) rows.push(k.dim(`  ${' '.repeat(width)}  ${truncate(r.detail, Math.max(20, columns - width - 6))}`));
  }
  return rows;
}

function truncate(text: string, max: number): string {
  const one = text.replace(/\s+/g, ' ');
  return one.length <= max ? one : `${one.slice(0, max - 1)}…`;
}
