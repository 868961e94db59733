import type { EventSink } from '../engine/events.js';
import { formatDuration } from '../util/duration.js';
import type { TriggerStatus } from '../watch/triggers.js';
import type { WatchEvent, WatchSink, WatchView } from '../watch/types.js';
import { plainRenderer } from './plain.js';
import { stripVTControlCharacters } from 'node:util';
import { describeCost } from '../rollback/cost.js';
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

/** The trigger's rule in words: "after 1h failing", "after 3 of 5 failures". */
export function ruleOf(t: Pick<TriggerStatus, 'failingForMs' | 'failures'>): string {
  if (t.failures) return `after ${t.failures.count} of ${t.failures.of ?? formatDuration(t.failures.withinMs ?? 0)} failures`;
  return `after ${formatDuration(t.failingForMs)} failing`;
}

/** One trigger in plain words: "rollback 4 in 48m", "rollback 4 DUE NOW", "rollback 4 fired 10:03:12 (ok)". */
export function triggerText(t: TriggerStatus, scale: number): { text: string; tone: 'dim' | 'yellow' | 'red' | 'cyan' } {
  const name = `rollback ${t.rollback}`;
  switch (t.state) {
    case 'counting':
      if (t.failures) return { text: `${name}: ${t.failuresSeen ?? 0} of ${t.failures.count} failures`, tone: 'yellow' };
      return { text: `${name} in ${plan(t.remainingMs ?? 0, scale)}`, tone: 'yellow' };
    case 'due':
      return { text: `${name} DUE NOW`, tone: 'red' };
    case 'fired':
      return {
        text: `${name} fired ${clock(t.firedAt ?? 0)}${t.lastFired && t.lastFired.result !== 'running' ? ` (${t.lastFired.result})` : ''}`,
        tone: 'cyan',
      };
    case 'rolled-back':
      return { text: `${name} rolled back ${t.rolledBackAt ? clock(Date.parse(t.rolledBackAt)) : ''}`.trimEnd(), tone: 'cyan' };
    case 'not-armed':
      return { text: `${name}: nothing to undo`, tone: 'dim' };
    case 'inactive':
      return { text: `${name}: not active`, tone: 'dim' };
    case 'inconclusive':
      return { text: `${name} INCONCLUSIVE (${t.errorsInARow} errors)`, tone: 'yellow' };
    default:
      return { text: `${name} ${ruleOf(t)}`, tone: 'dim' };
  }
}

export function describeTrigger(t: TriggerStatus, scale: number): string {
  const { text, tone } = triggerText(t, scale);
  return tint(text, tone);
}

function tint(text: string, tone: 'dim' | 'yellow' | 'red' | 'cyan' | 'green' | 'plain'): string {
  const k = c();
  return tone === 'plain' ? text : tone === 'red' ? k.red.bold(text) : k[tone](text);
}

function dueBanner(event: Extract<WatchEvent, { kind: 'trigger-due' }>, scale: number): string[] {
  const k = c();
  const t = event.trigger;
  const since = t.failingSince ?? 0;
  const lines = [
    k.red.bold(
      `!!! rollback ${t.rollback} is due: ${t.check} has been failing for ${plan(Date.now() - since, scale)} (since ${new Date(since).toISOString()}; the trigger is ${t.failures ? ruleOf(t) : formatDuration(t.failingForMs)})`,
    ),
    `    ${t.title}`,
    `    ${k.bold(event.command)}`,
  ];
  if (event.cost) lines.push(`    ${k.yellow(describeCost(t.rollback, event.cost))}`);
  if (event.held) lines.push(k.yellow(`    --auto-rollback holds it: ${event.held}. Nothing has been changed; a person must decide.`));
  else
    lines.push(
      event.autoRollback ? '    --auto-rollback: running it now.' : '    Nothing has been changed. Run the command above to roll back.',
    );
  return lines;
}

/** The lines both views print for an event (the TTY view puts them above its table). */
function eventLines(event: WatchEvent): string[] {
  const k = c();
  switch (event.kind) {
    case 'watch-start': {
      const triggers = event.view.triggers.map((t) => `rollback ${t.rollback} ${ruleOf(t).replace('after ', `after ${t.check} `)}`);
      const head = [
        `migrate watch · ${event.runbook} · env ${event.env}`,
        `${event.checks.length} check${event.checks.length === 1 ? '' : 's'}`,
        event.autoRollback ? 'AUTO-ROLLBACK on' : 'alerts only (no --auto-rollback)',
        event.timeScale !== 1 ? `time scale ${event.timeScale}` : '',
        event.forMs !== undefined ? `for ${formatDuration(event.forMs)}` : '',
      ].filter(Boolean);
      const lines = [k.bold(head.join(' · ')), `  triggers: ${triggers.join('; ') || 'none (checks are only shown)'}`];
      for (const [id, cost] of Object.entries(event.costs ?? {})) if (cost) lines.push(k.yellow(`  ${describeCost(id, cost)}`));
      for (const r of Object.entries(event.view.checks)) {
        // Whether that time is kept depends on the first result (a long gap starts afresh): that line says which.
        if (r[1].failingSince !== null)
          lines.push(k.yellow(`  ${r[0]} was failing since ${new Date(r[1].failingSince).toISOString()} when the last watch stopped`));
      }
      for (const w of event.warnings) lines.push(k.yellow(`! ${w}`));
      return lines;
    }
    case 'trigger-due':
      // windowMs is failingForMs divided by the scale.
      return dueBanner(event, event.trigger.windowMs > 0 ? event.trigger.failingForMs / event.trigger.windowMs : 1);
    case 'trigger-inconclusive': {
      const t = event.trigger;
      return [
        k.yellow.bold(
          `??? rollback ${t.rollback} is INCONCLUSIVE: ${t.check} could not be probed ${t.errorsInARow} times in a row (limit ${t.errorLimit ?? 4}) since ${new Date(t.inconclusiveSince ?? 0).toISOString()}`,
        ),
        `    ${truncate(event.trigger.failingSince === null ? 'The service may be fine or down: the watch cannot tell.' : 'It was failing before the probe errors began.', 200)} It never rolls back on errors; a person must judge.`,
        `    If it must roll back: ${k.bold(event.command)}`,
      ];
    }
    case 'rollback-locked':
      if (!event.first) return [];
      return [
        k.yellow(`! rollback ${event.trigger.rollback} is due but cannot start: ${event.error.message}`),
        k.dim(`  ${event.error.hint ?? ''} The watch tries again on its next tick.`),
      ];
    case 'rollback-start':
      return [
        k.bold(`>>> rollback ${event.trigger.rollback} (${event.how === 'auto' ? 'auto-rollback' : 'confirmed'}): ${event.trigger.title}`),
      ];
    case 'rollback-end': {
      const f = event.fired;
      if (f.result === 'ok') return [k.green.bold(`<<< rollback ${f.rollback} done; the watch goes on`)];
      const lines = [
        k.red.bold(
          `!!! rollback ${f.rollback} ${f.result === 'drift' ? 'REFUSED: drift' : f.result === 'aborted' ? 'was interrupted' : 'FAILED'}: ${event.error?.message ?? ''}`,
        ),
        ...(event.error?.details ?? []).map((d) => `    ${d}`),
      ];
      if (event.error?.hint) lines.push(`    hint: ${event.error.hint}`);
      lines.push(
        `    The watch will not run it again while this failure lasts. By hand: ${event.command}${f.result === 'drift' ? ' --force' : ''}`,
      );
      return lines;
    }
    case 'warning':
      return [k.yellow(`! ${event.message}`)];
    case 'watch-end': {
      const o = event.outcome;
      const why = o.reason === 'for' ? '--for has passed' : o.reason === 'until' ? 'its condition holds' : 'interrupted';
      return [
        `watch ended (${why})${o.fired.length ? `; rollbacks run: ${o.fired.map((f) => `${f.rollback} (${f.result})`).join(', ')}` : '; no rollback was run'}`,
      ];
    }
    default:
      return [];
  }
}

/** Plain lines for CI, pipes and logs: one line per state change, no cursor movement. */
export function plainWatchView(write: (line: string) => void): WatchRenderer {
  const engine = plainRenderer(write);
  const stamp = (ms: number) => c().dim(new Date(ms).toISOString());
  /** Checks the last watch left failing: their first failure says whether that time was kept. */
  const restarted = new Set<string>();
  return {
    sink(event) {
      if (event.kind === 'watch-start')
        for (const [name, r] of Object.entries(event.view.checks)) if (r.failingSince !== null) restarted.add(name);
      if (event.kind === 'check-changed') {
        const ch = event.change;
        const triggers = event.view.triggers.filter((t) => t.check === ch.check);
        const scale = event.view.timeScale;
        const k = c();
        let line: string;
        if (ch.to) {
          line = `${stamp(ch.at)}  ${ch.check}  ${k.green(ch.from === false ? 'FAILING -> ok' : 'ok')}`;
        } else if (ch.outcome === 'error' || ch.outcome === 'missing') {
          const kept =
            ch.failingSince === null ? '' : `; still failing since ${new Date(ch.failingSince).toISOString()} as far as is known`;
          line = `${stamp(ch.at)}  ${ch.check}  ${k.yellow(ch.outcome === 'error' ? 'ERROR (the probe could not run)' : 'NO DATA')}${kept}`;
        } else {
          const due = triggers
            .map((t) => (t.dueAt === null ? '' : `${describeTrigger(t, scale)} (at ${new Date(t.dueAt).toISOString()})`))
            .filter(Boolean);
          line = `${stamp(ch.at)}  ${ch.check}  ${k.red(ch.from === true ? 'ok -> FAILING' : 'FAILING')} since ${new Date(ch.failingSince ?? ch.at).toISOString()}${ch.resumed ? ' (kept from before the restart)' : ch.from === null && event.view.timeScale > 0 && restarted.has(ch.check) ? " (a new episode: the last watch's time was too old to keep)" : ''}${due.length ? `; ${due.join('; ')}` : ''}`;
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

/** Visible width of a line (colour codes take no room). */
export function visibleWidth(text: string): number {
  return [...stripVTControlCharacters(text)].length;
}

/**
 * Lines no wider than `columns`: a wider one loses its colour and is wrapped at spaces, so the
 * terminal never wraps it itself and every line written is one screen line.
 */
export function fitLines(lines: string[], columns: number): string[] {
  const out: string[] = [];
  for (const line of lines) {
    if (visibleWidth(line) < columns) {
      out.push(line);
      continue;
    }
    let rest = stripVTControlCharacters(line);
    const indent = /^\s*/.exec(rest)?.[0].slice(0, Math.max(0, Math.floor(columns / 4))) ?? '';
    let first = true;
    while (rest.length > 0) {
      const room = Math.max(1, columns - 1 - (first ? 0 : indent.length));
      let cut = rest.length <= room ? rest.length : rest.lastIndexOf(' ', room);
      if (cut <= 0) cut = Math.min(room, rest.length);
      out.push(`${first ? '' : indent}${rest.slice(0, cut).trimEnd()}`);
      rest = rest.slice(cut).trimStart();
      first = false;
    }
  }
  return out;
}

/** The live table on a terminal, redrawn in place by screen lines; messages scroll above it. */
export function ttyWatchView(out: NodeJS.WriteStream): WatchRenderer {
  let drawn: string[] = [];
  let paused = 0;
  let last: WatchView | undefined;
  let names: string[] = [];
  let lastDraw = 0;
  const columns = () => out.columns || 100;
  const write = (text: string) => out.write(text);
  /** Screen lines the drawn table takes now (more than its lines if the terminal got narrower). */
  const screenLines = () => drawn.reduce((n, line) => n + Math.max(1, Math.ceil(visibleWidth(line) / columns())), 0);
  const erase = () => {
    const n = screenLines();
    if (n > 0) write(`\x1b[${n}F\x1b[0J`);
    drawn = [];
  };
  const draw = () => {
    if (paused > 0 || !last) return;
    const lines = fitLines(table(last, columns(), names), columns());
    erase();
    write(`${lines.join('\n')}\n`);
    drawn = lines;
    lastDraw = Date.now();
  };
  const above = (lines: string[]) => {
    if (lines.length === 0) return;
    erase();
    write(`${fitLines(lines, columns()).join('\n')}\n`);
    draw();
  };
  out.on?.('resize', () => {
    // The old table has wrapped to the new width: erase it by the lines it now takes, then redraw.
    if (paused === 0) draw();
  });
  const engine = plainRenderer((line) => write(`${fitLines([line], columns()).join('\n')}\n`));
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
          write(`${BELL}${fitLines(eventLines(event), columns()).join('\n')}\n`);
          return;
        case 'rollback-start':
          // The rollback's own lines follow; the table comes back when it ends.
          erase();
          write(`${fitLines(eventLines(event), columns()).join('\n')}\n`);
          paused += 1;
          return;
        case 'rollback-end':
          paused = Math.max(0, paused - 1);
          above(eventLines(event));
          return;
        case 'watch-end':
          draw();
          write(`${fitLines(eventLines(event), columns()).join('\n')}\n`);
          drawn = [];
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

type Tone = 'dim' | 'yellow' | 'red' | 'cyan' | 'green' | 'plain';
interface Cell {
  text: string;
  tone: Tone;
}

/** A check's state in one word or two. */
function stateCell(view: WatchView, name: string): Cell {
  const r = view.checks[name];
  if (!r || r.outcome === undefined)
    return r?.ok === true ? { text: 'ok', tone: 'green' } : r?.ok === false ? { text: 'FAILING', tone: 'red' } : { text: '…', tone: 'dim' };
  if (r.outcome === 'inactive') return { text: 'not active', tone: 'dim' };
  if (r.warmupUntil !== undefined && (r.lastCheckedAt ?? 0) < r.warmupUntil) return { text: 'warming up', tone: 'dim' };
  if (r.outcome === 'success') return { text: 'ok', tone: 'green' };
  if (r.outcome === 'failure') return { text: 'FAILING', tone: 'red' };
  if (r.outcome === 'error') return { text: 'ERROR', tone: 'yellow' };
  return { text: 'NO DATA', tone: 'yellow' };
}

/**
 * check · state · failing since · what its rollback does next, no wider than `columns`: the
 * "failing since" column goes first when the terminal is narrow, then the rollback text is cut.
 */
export function table(view: WatchView, columns: number, checks: string[] = []): string[] {
  const names = [...checks];
  for (const name of Object.keys(view.checks)) if (!names.includes(name)) names.push(name);
  for (const t of view.triggers) if (!names.includes(t.check)) names.push(t.check);
  const rows = names.map((name) => {
    const r = view.checks[name];
    const since =
      r?.failingSince != null && r.outcome !== 'inactive'
        ? `${clock(r.failingSince)} (${plan(view.now - r.failingSince, view.timeScale)})`
        : '';
    const triggers = view.triggers.filter((t) => t.check === name).map((t) => triggerText(t, view.timeScale));
    const detail =
      r && (r.outcome === 'failure' || r.outcome === 'error' || r.outcome === 'missing' || (r.outcome === undefined && r.ok === false))
        ? r.detail
        : undefined;
    return { name, state: stateCell(view, name), since, triggers, detail };
  });
  const room = columns - 1;
  // Long check names give way on a narrow terminal (cut with "…"), never the state.
  const nameWidth = Math.min(Math.max(5, ...names.map((n) => n.length)), Math.max(12, Math.floor(room * 0.35)));
  const stateWidth = 10;
  const sinceWidth = Math.max(13, ...rows.map((r) => r.since.length));
  const withSince = 2 + nameWidth + 2 + stateWidth + 2 + sinceWidth + 2 + 32 <= room;
  const cut = (text: string, width: number) =>
    text.length <= width ? text : width <= 1 ? text.slice(0, Math.max(0, width)) : `${text.slice(0, width - 1)}…`;
  const lead = 2 + nameWidth + 2 + stateWidth + 2 + (withSince ? sinceWidth + 2 : 0);
  const k = c();
  const head = k.dim(
    cut(
      `  ${'check'.padEnd(nameWidth)}  ${'state'.padEnd(stateWidth)}  ${withSince ? `${'failing since'.padEnd(sinceWidth)}  ` : ''}rollback`,
      room,
    ),
  );
  const out = [head];
  for (const row of rows) {
    const left = `  ${cut(row.name, nameWidth).padEnd(nameWidth)}  `;
    let line = left + tint(row.state.text.padEnd(stateWidth), row.state.tone);
    if (lead <= room) {
      if (withSince) line += `  ${row.since.padEnd(sinceWidth)}`;
      let budget = room - lead - 2;
      const parts: string[] = [];
      for (const t of row.triggers) {
        if (budget <= 0) break;
        // Short of room, "rollback 3 rolled back 10:03" becomes "#3 rolled back 10:03" before it is cut.
        const text = cut(t.text.length > budget ? t.text.replace(/^rollback (\S+)/, '#$1') : t.text, budget);
        parts.push(tint(text, t.tone));
        budget -= text.length + 2;
      }
      if (parts.length) line += `  ${parts.join('; ')}`;
    }
    out.push(visibleWidth(line) > room ? cut(stripVTControlCharacters(line), room) : line);
    if (row.detail) out.push(k.dim(cut(`  ${' '.repeat(Math.min(nameWidth, 8))}  ${row.detail.replace(/\s+/g, ' ')}`, room)));
  }
  return out;
}

function truncate(text: string, max: number): string {
  const one = text.replace(/\s+/g, ' ');
  return one.length <= max ? one : `${one.slice(0, max - 1)}…`;
}
