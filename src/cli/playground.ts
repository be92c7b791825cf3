// `sgdlab playground`: build the browser playground (src/web) in memory and serve it on 127.0.0.1
// with the cross-origin isolation headers that let onnxruntime-web use threads; open it unless --no-open.

import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { extname } from 'node:path';
import type { Command } from 'commander';
import { UsageError } from './errors.ts';

export const DEFAULT_PORT = 8417;

/** What the server serves: the built files by path ("/index.html"), and the headers every answer carries. */
export interface PlaygroundSite {
  files: ReadonlyMap<string, Uint8Array>;
  contentTypes: Readonly<Record<string, string>>;
  isolationHeaders: Readonly<Record<string, string>>;
}

/** The parts of a request the server reads; each straight from the wire, so anything at all. */
export interface PlaygroundRequest {
  method: string | undefined;
  url: string | undefined;
  host: string | undefined;
}

export interface PlaygroundResponse {
  status: number;
  headers: Record<string, string | number>;
  body?: Uint8Array | string;
}

/**
 * Names a browser on this machine uses for the server. Any other Host is refused: a page on another
 * site whose name an attacker re-points at 127.0.0.1 (DNS rebinding) would send its own name, and
 * must not read the playground's files.
 */
const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

/** The host name of a Host header or an absolute-form authority without its port, or undefined if malformed. */
function hostName(authority: string): string | undefined {
  const m = /^(\[[0-9a-fA-F:.]+\]|[^:[\]]+)(?::(\d{1,5}))?$/.exec(authority);
  if (!m || (m[2] !== undefined && Number(m[2]) > 65535)) return undefined;
  return m[1]!.toLowerCase();
}

const text = (status: number, message: string, site: PlaygroundSite, extra: Record<string, string> = {}): PlaygroundResponse => ({
  status,
  headers: { 'Content-Type': 'text/plain; charset=utf-8', 'X-Content-Type-Options': 'nosniff', ...site.isolationHeaders, ...extra },
  body: `${message}\n`,
});

/**
 * The server's answer to one request, computed without throwing whatever the request holds: 400 for a
 * malformed request line or Host, 403 for a Host that is not a loopback name, 405 for a method other
 * than GET/HEAD, 404 for a path the site does not have.
 */
export function playgroundResponse(request: PlaygroundRequest, site: PlaygroundSite): PlaygroundResponse {
  const host = request.host === undefined ? undefined : hostName(request.host);
  if (host === undefined) return text(400, 'bad request: a Host header naming this machine is required', site);
  if (!LOOPBACK_HOSTS.has(host)) return text(403, 'forbidden: the playground answers only to 127.0.0.1, localhost and [::1]', site);
  const target = request.url ?? '';
  let path: string;
  if (target.startsWith('/')) {
    path = target.replace(/[?#].*$/s, '');
  } else {
    // Absolute form ("GET http://127.0.0.1:8417/ HTTP/1.1"): its authority must be a loopback name too.
    const m = /^http:\/\/([^/?#]*)(\/[^?#]*)?/i.exec(target);
    const authority = m ? hostName(m[1]!) : undefined;
    if (!m || authority === undefined) return text(400, 'bad request: malformed request target', site);
    if (!LOOPBACK_HOSTS.has(authority)) return text(403, 'forbidden: the playground answers only to 127.0.0.1, localhost and [::1]', site);
    path = m[2] ?? '/';
  }
  if (request.method !== 'GET' && request.method !== 'HEAD') return text(405, 'method not allowed', site, { Allow: 'GET, HEAD' });
  const file = path === '/' ? '/index.html' : path;
  const bytes = site.files.get(file);
  if (!bytes || file === '/_headers') return text(404, 'not found', site);
  return {
    status: 200,
    headers: {
      'Content-Type': site.contentTypes[extname(file)] ?? 'application/octet-stream',
      'Content-Length': bytes.byteLength,
      'Cache-Control': 'no-cache',
      'X-Content-Type-Options': 'nosniff',
      ...site.isolationHeaders,
    },
    ...(request.method === 'HEAD' ? {} : { body: bytes }),
  };
}

/** The site as built in memory from src/web. */
export async function buildPlaygroundSite(): Promise<PlaygroundSite> {
  // Loaded here, not at start-up: every sgdlab command registers this one.
  const { buildPlayground, CONTENT_TYPES, ISOLATION_HEADERS } = await import('../web/build.ts');
  return { files: new Map((await buildPlayground()).map((f) => [`/${f.path}`, f.bytes])), contentTypes: CONTENT_TYPES, isolationHeaders: ISOLATION_HEADERS };
}

/** Serve the built site; resolves once listening, with the URL (port 0 picks a free port). */
export async function servePlayground(port: number): Promise<{ server: Server; url: string }> {
  const site = await buildPlaygroundSite();
  const server = createServer((req, res) => {
    let answer: PlaygroundResponse;
    try {
      answer = playgroundResponse({ method: req.method, url: req.url, host: req.headers.host }, site);
    } catch {
      // playgroundResponse does not throw; if it ever does, this request fails, not the server.
      answer = text(500, 'internal error', site);
    }
    res.writeHead(answer.status, answer.headers).end(answer.body);
  });
  // A request Node's parser rejects (bad request line, bad header) is answered 400; the server goes on.
  server.on('clientError', (_error, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
    else socket.destroy();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) =>
      reject(e.code === 'EADDRINUSE' ? new UsageError(`playground --port ${port}: the port is in use (choose another, or 0 for any free port)`) : e));
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : port}/`;
  return { server, url };
}

/** Open `url` in the desktop's browser, if there is a desktop; the printed URL is enough otherwise. */
function openInBrowser(url: string): void {
  const command = process.platform === 'darwin' ? 'open' : process.platform === 'win32' ? 'explorer' : 'xdg-open';
  const child = spawn(command, [url], { stdio: 'ignore', detached: true });
  child.on('error', () => {});
  child.unref();
}

function parsePort(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`playground --port: '${value}' is not a port number (0..65535)`);
  return port;
}

export function register(program: Command): void {
  program
    .command('playground')
    .option('--port <P>', `port to listen on (default ${DEFAULT_PORT}; 0 picks a free one)`)
    .option('--no-open', 'do not open a browser, only print the URL')
    .action(async (opts: { port?: string; open: boolean }) => {
      const port = opts.port === undefined ? DEFAULT_PORT : parsePort(opts.port);
      const { server, url } = await servePlayground(port);
      process.stdout.write(`sgdlab playground: ${url}  (Ctrl-C to stop)\n`);
      if (opts.open) openInBrowser(url);
      await new Promise<void>((resolve) => {
        const close = () => server.close(() => resolve());
        process.once('SIGINT', close);
        process.once('SIGTERM', close);
      });
    });
}
