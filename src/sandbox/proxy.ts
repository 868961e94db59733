import { randomBytes } from 'node:crypto';
import { Agent, createServer, request as httpRequest } from 'node:http';
import type { IncomingHttpHeaders, IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { faultResponse, protocolOf, seededRandom } from './faults.js';
import type { FaultSpec, InjectedFault } from './faults.js';
import { classify } from './operations.js';

export type { FaultSpec } from './faults.js';
export { parseFaults } from './faults.js';

export interface RequestLogEntry {
  seq: number;
  time: string;
  service: string;
  operation: string;
  method: string;
  path: string;
  write: boolean;
  /** HTTP status sent back to the client; 0 while the request is in flight. */
  status: number;
  /** Set when the proxy answered with a fault itself: the request never reached moto. */
  injected?: InjectedFault;
  /** Set when moto's answer was altered on the way back (a Route 53 change held at PENDING). */
  rewritten?: string;
}

export interface FrontProxy {
  url: string;
  port: number;
  /** Every request in arrival order, injected ones included. */
  requests: RequestLogEntry[];
  setFaults(faults: FaultSpec): void;
  hasIncident(name: string): boolean;
  clearLog(): void;
  /** Every write request received, injected ones included; filter on `!injected` for those moto applied. */
  writes(): RequestLogEntry[];
  stop(): Promise<void>;
}

export interface StartProxyOptions {
  /** moto's URL, e.g. http://127.0.0.1:5000 */
  target: string;
  faults?: FaultSpec;
  /** Makes fault injection reproducible; default 1. */
  seed?: number;
  /** Divides the slow-INSYNC hold like every other wait of a scaled sandbox; default 1. */
  timeScale?: number;
  port?: number;
}

const HOP_BY_HOP = ['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade'];

export async function startProxy(options: StartProxyOptions): Promise<FrontProxy> {
  const target = new URL(options.target);
  const agent = new Agent({ keepAlive: true });
  const random = seededRandom(options.seed ?? 1);
  // A stream of its own, so adding conflicts leaves the throttle/5xx sequence of a seed as it was.
  const conflictRandom = seededRandom((options.seed ?? 1) ^ 0x5bd1e995);
  const requests: RequestLogEntry[] = [];
  /** Route 53 change id (without /change/) -> when ChangeResourceRecordSets returned it. */
  const changes = new Map<string, number>();
  let faults: FaultSpec = { ...options.faults };
  let seq = 0;

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = req.url ?? '/';
    // The query protocol may carry Action= only in a form body; that body is small, so read it
    // whole. Every other body streams through untouched.
    const form = needsForm(req) ? await readAll(req) : undefined;
    const op = classify({ method: req.method ?? 'GET', url, headers: req.headers }, form?.toString('utf8'));
    const entry: RequestLogEntry = {
      seq: ++seq,
      time: new Date().toISOString(),
      service: op.service,
      operation: op.operation,
      method: req.method ?? 'GET',
      path: url,
      write: op.write,
      status: 0,
    };
    requests.push(entry);
    const isAws = op.service !== 'unknown' && !url.startsWith('/moto-api');
    if (!isAws) return forward(req, res, entry, form, false);

    // Draw both numbers for every AWS request, so a seed gives the same sequence whatever the rates.
    const [throttleDraw, errorDraw, conflictDraw] = [random(), random(), conflictRandom()];
    if (faults.latencyMs) await sleep(faults.latencyMs);
    const conflict = op.service === 'apigateway' && op.write && conflictDraw < (faults.conflict ?? 0);
    const fault: InjectedFault | undefined =
      throttleDraw < (faults.throttle ?? 0) ? 'throttle' : errorDraw < (faults.error5xx ?? 0) ? '5xx' : conflict ? 'conflict' : undefined;
    if (fault) {
      // Decided before anything reaches moto: an injected request is never also applied.
      req.resume();
      const answer = faultResponse(op.service, protocolOf(op.service, req.headers), fault);
      entry.injected = fault;
      entry.status = answer.status;
      res.writeHead(answer.status, { ...answer.headers, 'content-length': Buffer.byteLength(answer.body) });
      res.end(answer.body);
      return;
    }
    const holdChange =
      op.service === 'route53' &&
      (op.operation === 'ChangeResourceRecordSets' || op.operation === 'GetChange') &&
      (faults.slowInsyncMs ?? 0) > 0;
    return forward(req, res, entry, form, holdChange);
  }

  function forward(req: IncomingMessage, res: ServerResponse, entry: RequestLogEntry, body: Buffer | undefined, holdChange: boolean): void {
    const headers: OutgoingHttpHeaders = withoutHopByHop(req.headers);
    if (body !== undefined) headers['content-length'] = body.length;
    else if (req.headers['transfer-encoding']) headers['transfer-encoding'] = req.headers['transfer-encoding'];
    const upstream = httpRequest(
      { protocol: target.protocol, hostname: target.hostname, port: target.port, method: req.method, path: req.url, headers, agent },
      (answer) => {
        entry.status = answer.statusCode ?? 502;
        if (!holdChange || entry.status !== 200) {
          const out: OutgoingHttpHeaders = withoutHopByHop(answer.headers);
          if (answer.headers['transfer-encoding']) out['transfer-encoding'] = answer.headers['transfer-encoding'];
          res.writeHead(entry.status, out);
          answer.pipe(res);
          return;
        }
        void readAll(answer).then((raw) => {
          const text = holdPending(entry, raw.toString('utf8'));
          const out = withoutHopByHop(answer.headers);
          out['content-length'] = Buffer.byteLength(text);
          res.writeHead(entry.status, out);
          res.end(text);
        });
      },
    );
    upstream.on('error', (error) => {
      entry.status = 502;
      if (res.headersSent) res.destroy(error);
      else res.writeHead(502, { 'content-type': 'text/plain' }).end(`sandbox proxy: moto did not answer: ${error.message}\n`);
    });
    res.on('close', () => {
      if (!res.writableFinished) upstream.destroy();
    });
    if (body !== undefined) upstream.end(body);
    else req.pipe(upstream);
  }

  /**
   * moto answers INSYNC at once. With slow INSYNC on, each ChangeResourceRecordSets (whose id the
   * strict layer makes unique) and GetChange of it say PENDING
   * until slowInsyncMs after that change was made, as Route 53 does while it propagates.
   */
  function holdPending(entry: RequestLogEntry, xml: string): string {
    const wait = (faults.slowInsyncMs ?? 0) / (options.timeScale ?? 1);
    if (entry.operation === 'ChangeResourceRecordSets') {
      // The strict moto gives each change an id of its own (and NoSuchChange for any other).
      const id = /<Id>(?:\/change\/)?([^<]*)<\/Id>/.exec(xml)?.[1] ?? `C${randomBytes(10).toString('hex').toUpperCase().slice(0, 13)}`;
      changes.set(id, Date.now());
      entry.rewritten = 'PENDING';
      return xml.replace('<Status>INSYNC</Status>', '<Status>PENDING</Status>');
    }
    const id = /<Id>(?:\/change\/)?([^<]*)<\/Id>/.exec(xml)?.[1];
    const madeAt = id === undefined ? undefined : changes.get(id);
    if (madeAt === undefined || Date.now() - madeAt >= wait) return xml;
    entry.rewritten = 'PENDING';
    return xml.replace('<Status>INSYNC</Status>', '<Status>PENDING</Status>');
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' }).end(`sandbox proxy: ${String(error)}\n`);
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;

  let stopping: Promise<void> | undefined;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    setFaults(next) {
      faults = { ...next };
    },
    hasIncident(name) {
      return faults.incidents?.includes(name) ?? false;
    },
    clearLog() {
      requests.length = 0;
    },
    writes() {
      return requests.filter((entry) => entry.write);
    },
    stop() {
      stopping ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
        agent.destroy();
      });
      return stopping;
    },
  };
}

function needsForm(req: IncomingMessage): boolean {
  if (req.headers['x-amz-target'] || (req.url ?? '').includes('Action=')) return false;
  return (req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded');
}

function withoutHopByHop(headers: IncomingHttpHeaders): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = { ...headers };
  for (const name of HOP_BY_HOP) delete out[name];
  return out;
}

async function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  return Buffer.concat(chunks);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
