import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One POST the receiver got: its path (where a real webhook keeps its secret) and JSON body. */
export interface ReceivedMessage {
  at: string;
  path: string;
  body: unknown;
  /** The body as sent, for tests that look for what must not be in it. */
  raw: string;
}

export interface WebhookReceiver {
  /** POST here (any path): it stands in for a Slack or Teams incoming webhook. */
  url: string;
  /** Everything received so far, oldest first; GET <url>/messages gives the same as JSON. */
  messages(): ReceivedMessage[];
  clear(): void;
  stop(): Promise<void>;
}

/**
 * The sandbox's stand-in for a team chat: it answers every POST with 200 as Slack and Teams do,
 * and keeps what it got, so a rehearsal (or a test) can read which notifications went out.
 */
export async function startWebhookReceiver(): Promise<WebhookReceiver> {
  const received: ReceivedMessage[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const path = new URL(req.url ?? '/', 'http://webhook').pathname;
      if (req.method === 'GET' && path === '/messages') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify(received));
        return;
      }
      if (req.method !== 'POST') {
        res.writeHead(405).end();
        return;
      }
      const raw = Buffer.concat(chunks).toString('utf8');
      let body: unknown = raw;
      try {
        body = JSON.parse(raw);
      } catch {
        // Kept as text: a test says what was wrong with it.
      }
      received.push({ at: new Date().toISOString(), path, body, raw });
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('1');
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  let stopping: Promise<void> | undefined;
  return {
    url: `http://127.0.0.1:${port}`,
    messages: () => [...received],
    clear: () => void received.splice(0),
    stop() {
      stopping ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return stopping;
    },
  };
}
