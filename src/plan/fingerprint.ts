import { canonicalJson, sha256 } from '../util/json.js';

/**
 * Keys whose string values are secrets (ClientSecret, accessToken, Authorization): a plan file is
 * handed around and attached to tickets. Anchored at the end, so preTokenGeneration or
 * authorizationType, which the steps compare, stay.
 */
const SECRET_KEY = /(password|secret|token|credentials?|authorization)$/i;

/** A copy of a step's state with anything that looks like a secret removed (the key stays, marked). */
export function redact(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redact);
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, v] of Object.entries(value)) out[key] = SECRET_KEY.test(key) && typeof v === 'string' ? '(redacted)' : redact(v);
    return out;
  }
  return value;
}

export interface Fingerprint {
  /** sha256 of the canonical JSON of the live state the step was planned against. */
  sha256: string;
  /** That state (secrets redacted), so a stale plan can show before / after / live. */
  state: unknown;
}

/**
 * The fingerprint of the live state one planned step read. Today that is the state its own read
 * returned; with the whole-phase simulation it is the state of each resource key the planner read.
 */
export function fingerprint(_stepRef: string, liveState: unknown): Fingerprint {
  return { sha256: sha256(canonicalJson({ state: liveState ?? null })), state: redact(liveState ?? null) };
}
