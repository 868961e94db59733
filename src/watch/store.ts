import { hostname } from 'node:os';
import { localDocuments, type Documents } from '../state/backend.js';
import { isProcessAlive } from '../state/lock.js';
import type { CheckRecord, FireResult, FiredMark, WatchRecords } from './triggers.js';

export const WATCH_FILE_VERSION = 1;

/** Who is watching: `status` tells a running watch from one that stopped or was killed. */
export interface Watcher {
  pid: number;
  host: string;
  since: string;
  autoRollback: boolean;
  /** Written at least every few seconds while the watch runs. */
  heartbeat: string;
  /** Set when the watch ended cleanly. */
  stoppedAt?: string | undefined;
}

export interface WatchFile {
  version: number;
  runbook: string;
  env: string;
  /** The scale the watch ran with: `status` turns its windows into times with the same one. */
  timeScale: number;
  watcher: Watcher | null;
  records: WatchRecords;
}

/** On disk the times are ISO strings, so a person reading watch.json sees when things happened. */
interface StoredCheck {
  ok: boolean | null;
  failingSince: string | null;
  lastCheckedAt: string | null;
  detail?: string;
}
interface StoredFired {
  episode: string;
  at: string;
  result: FireResult;
  detail?: string;
}
interface StoredFile {
  version: number;
  runbook: string;
  env: string;
  timeScale: number;
  watcher: Watcher | null;
  checks: Record<string, StoredCheck>;
  fired: Record<string, StoredFired>;
}

export type LoadedWatchFile = { kind: 'none' } | { kind: 'ok'; file: WatchFile } | { kind: 'unreadable'; reason: string };

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());
const ms = (text: string | null | undefined): number | null => {
  if (text == null) return null;
  const t = Date.parse(text);
  return Number.isNaN(t) ? null : t;
};

/**
 * `<envDir>/watch.json`: the watch's own records, kept apart from state.json, which `run` and
 * `rollback` own under the lock; the watch runs beside them and must never write their file.
 */
export class WatchStore {
  readonly location: string;

  private readonly docs: Documents;

  constructor(where: string | Documents) {
    this.docs = typeof where === 'string' ? localDocuments(where) : where;
    this.location = this.docs.locate('watch.json');
  }

  async load(): Promise<LoadedWatchFile> {
    const text = await this.docs.read('watch.json');
    if (text === null) return { kind: 'none' };
    try {
      return { kind: 'ok', file: fromStored(JSON.parse(text) as StoredFile) };
    } catch (error) {
      return { kind: 'unreadable', reason: `${this.location} cannot be read (${(error as Error).message})` };
    }
  }

  async save(file: WatchFile): Promise<void> {
    await this.docs.write('watch.json', `${JSON.stringify(toStored(file), null, 2)}\n`);
  }
}

function fromStored(doc: StoredFile): WatchFile {
  if (!doc || typeof doc !== 'object' || typeof doc.version !== 'number' || typeof doc.checks !== 'object' || doc.checks === null)
    throw new Error('not a migrate watch file');
  if (doc.version > WATCH_FILE_VERSION) throw new Error(`written by a newer migrate (version ${doc.version})`);
  const checks: Record<string, CheckRecord> = {};
  for (const [name, c] of Object.entries(doc.checks)) {
    checks[name] = {
      ok: typeof c.ok === 'boolean' ? c.ok : null,
      failingSince: ms(c.failingSince),
      lastCheckedAt: ms(c.lastCheckedAt),
      detail: c.detail,
    };
  }
  const fired: Record<string, FiredMark> = {};
  for (const [id, f] of Object.entries(doc.fired ?? {})) {
    const episode = ms(f.episode);
    const at = ms(f.at);
    if (episode !== null && at !== null) fired[id] = { episode, at, result: f.result, detail: f.detail };
  }
  return {
    version: doc.version,
    runbook: doc.runbook,
    env: doc.env,
    timeScale: doc.timeScale > 0 ? doc.timeScale : 1,
    watcher: doc.watcher ?? null,
    records: { checks, fired },
  };
}

function toStored(file: WatchFile): StoredFile {
  const checks: Record<string, StoredCheck> = {};
  for (const [name, c] of Object.entries(file.records.checks)) {
    checks[name] = {
      ok: c.ok,
      failingSince: iso(c.failingSince),
      lastCheckedAt: iso(c.lastCheckedAt),
      ...(c.detail !== undefined ? { detail: c.detail } : {}),
    };
  }
  const fired: Record<string, StoredFired> = {};
  for (const [id, f] of Object.entries(file.records.fired)) {
    fired[id] = {
      episode: iso(f.episode) as string,
      at: iso(f.at) as string,
      result: f.result,
      ...(f.detail !== undefined ? { detail: f.detail } : {}),
    };
  }
  return {
    version: WATCH_FILE_VERSION,
    runbook: file.runbook,
    env: file.env,
    timeScale: file.timeScale,
    watcher: file.watcher,
    checks,
    fired,
  };
}

/**
 * Whether the watch that wrote the file still runs: on this host, by its pid; elsewhere, by a
 * heartbeat newer than `staleAfterMs`.
 */
export function watcherRunning(watcher: Watcher | null, now: number, staleAfterMs: number): boolean {
  if (!watcher || watcher.stoppedAt) return false;
  if (watcher.host === hostname()) return isProcessAlive(watcher.pid);
  const beat = Date.parse(watcher.heartbeat);
  return !Number.isNaN(beat) && now - beat <= staleAfterMs;
}
