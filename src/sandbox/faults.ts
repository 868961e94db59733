import { randomUUID } from 'node:crypto';
import { RunbookError } from '../errors.js';
import { parseDuration } from '../util/duration.js';

export interface FaultSpec {
  /** Share (0..1) of AWS requests answered with the service's throttling error. */
  throttle?: number;
  /** Share (0..1) of AWS requests answered with a 5xx. */
  error5xx?: number;
  /** Share (0..1) of API Gateway writes answered 409 ConflictException ("concurrent modification"). */
  conflict?: number;
  /** Added before every AWS request is forwarded. */
  latencyMs?: number;
  /** Route 53 changes stay PENDING this long after ChangeResourceRecordSets. */
  slowInsyncMs?: number;
  /** Named incidents (e.g. "reval-down") for the sandbox's health endpoints to act on. */
  incidents?: string[];
}

const ACCEPTED =
  'throttle=<0..1>, 5xx=<0..1>, conflict=<0..1>, latency=<duration>, insync=<duration>, or an incident name such as reval-down';
const INCIDENT = /^[a-z][a-z0-9-]*$/;

/** "throttle=0.3,5xx=0.1,latency=50ms,insync=20s,reval-down" -> FaultSpec. */
export function parseFaults(spec: string): FaultSpec {
  const faults: FaultSpec = {};
  const bad = (part: string, why: string): RunbookError =>
    new RunbookError('USAGE', `--faults: ${why} in "${part}"`, {
      hint: `Comma-separated: ${ACCEPTED}. Example: throttle=0.3,5xx=0.1,latency=50ms,insync=20s,reval-down`,
    });
  for (const raw of spec.split(',')) {
    const part = raw.trim();
    if (!part) continue;
    const eq = part.indexOf('=');
    if (eq < 0) {
      if (!INCIDENT.test(part)) throw bad(part, 'not a fault or incident name');
      faults.incidents = [...(faults.incidents ?? []), part];
      continue;
    }
    const key = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    switch (key) {
      case 'conflict': {
        const rate = Number(value);
        if (value === '' || !Number.isFinite(rate) || rate < 0 || rate > 1) throw bad(part, `${key} takes a rate between 0 and 1`);
        faults.conflict = rate;
        break;
      }
      case 'throttle':
      case '5xx': {
        const rate = Number(value);
        if (value === '' || !Number.isFinite(rate) || rate < 0 || rate > 1) throw bad(part, `${key} takes a rate between 0 and 1`);
        if (key === 'throttle') faults.throttle = rate;
        else faults.error5xx = rate;
        break;
      }
      case 'latency':
      case 'insync': {
        let ms: number;
        try {
          ms = parseDuration(value);
        } catch {
          throw bad(part, `${key} takes a duration such as 50ms or 20s`);
        }
        if (key === 'latency') faults.latencyMs = ms;
        else faults.slowInsyncMs = ms;
        break;
      }
      default:
        throw bad(part, `unknown fault "${key}"`);
    }
  }
  return faults;
}

/** mulberry32: small, fast, and the same sequence for the same seed on every platform. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export type Protocol = 'awsJson' | 'awsQuery' | 'restXml' | 'restJson';
export type InjectedFault = 'throttle' | '5xx' | 'conflict';

const PROTOCOL_OF: Record<string, Protocol> = {
  'cognito-idp': 'awsJson',
  sts: 'awsQuery',
  route53: 'restXml',
  cloudfront: 'restXml',
  apigateway: 'restJson',
};

const XML_NAMESPACE: Record<string, string> = {
  sts: 'https://sts.amazonaws.com/doc/2011-06-15/',
  route53: 'https://route53.amazonaws.com/doc/2013-04-01/',
  cloudfront: 'http://cloudfront.amazonaws.com/doc/2020-05-31/',
};

export function protocolOf(service: string, headers: Record<string, string | string[] | undefined>): Protocol {
  return PROTOCOL_OF[service] ?? (headers['x-amz-target'] ? 'awsJson' : 'awsQuery');
}

export interface FaultResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/**
 * The error each protocol's real service sends, so the SDK's own retry strategy classifies it
 * (throttling by code or 429, transient by 5xx) exactly as it would against AWS.
 */
export function faultResponse(service: string, protocol: Protocol, fault: InjectedFault): FaultResponse {
  const requestId = randomUUID();
  const base = { 'x-amzn-RequestId': requestId };
  switch (protocol) {
    case 'awsJson': {
      // Cognito's throttling error is TooManyRequestsException; other JSON services say ThrottlingException.
      const throttle = service === 'cognito-idp' ? 'TooManyRequestsException' : 'ThrottlingException';
      const [status, type, message] =
        fault === 'throttle' ? [400, throttle, 'Rate exceeded'] : [500, 'InternalErrorException', 'Internal server error'];
      return {
        status,
        headers: { ...base, 'content-type': 'application/x-amz-json-1.1', 'x-amzn-ErrorType': type },
        body: JSON.stringify({ __type: type, message }),
      };
    }
    case 'restJson': {
      const [status, type, message] =
        fault === 'throttle'
          ? [429, 'TooManyRequestsException', 'Too Many Requests']
          : fault === 'conflict'
            ? [409, 'ConflictException', 'Unable to complete operation due to concurrent modification. Please try again later.']
            : [503, 'ServiceUnavailableException', 'Service Unavailable'];
      return {
        status,
        headers: { ...base, 'content-type': 'application/json', 'x-amzn-ErrorType': type },
        body: JSON.stringify({ message }),
      };
    }
    case 'awsQuery':
    case 'restXml': {
      const [status, type, code, message] =
        fault === 'throttle'
          ? [400, 'Sender', 'Throttling', 'Rate exceeded']
          : [503, 'Receiver', 'ServiceUnavailable', 'Service Unavailable'];
      const ns = XML_NAMESPACE[service];
      const body =
        `<?xml version="1.0" encoding="UTF-8"?>\n<ErrorResponse${ns ? ` xmlns="${ns}"` : ''}>` +
        `<Error><Type>${type}</Type><Code>${code}</Code><Message>${message}</Message></Error>` +
        `<RequestId>${requestId}</RequestId></ErrorResponse>`;
      return { status, headers: { ...base, 'content-type': 'text/xml' }, body };
    }
  }
}
