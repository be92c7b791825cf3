// `sgdlab playground`: build the browser playground (src/web) in memory and serve it on 127.0.0.1
// with the cross-origin isolation headers that let onnxruntime-web use threads; open it unless --no-open.

import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { extname } from 'node:path';
import type { Command } from 'commander';
import { UsageError } from './errors.ts';

export const DEFAULT_PORT = 8417;

/** Serve the built site; resolves once listening, with the URL (port 0 picks a free port). */
export async function servePlayground(port: number): Promise<{ server: Server; url: string }> {
  // Loaded here, not at start-up: every sgdlab command registers this one.
  const { buildPlayground, CONTENT_TYPES, ISOLATION_HEADERS } = await import('../web/build.ts');
  const files = new Map((await buildPlayground()).map((f) => [`/${f.path}`, f.bytes]));
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://127.0.0.1').pathname;
    const bytes = files.get(path === '/' ? '/index.html' : path);
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { Allow: 'GET, HEAD' }).end();
      return;
    }
    if (!bytes || path === '/_headers') {
      res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8', ...ISOLATION_HEADERS }).end('not found\n');
      return;
    }
    res.writeHead(200, {
      'Content-Type': CONTENT_TYPES[extname(path === '/' ? '/index.html' : path)] ?? 'application/octet-stream',
      'Content-Length': bytes.byteLength,
      'Cache-Control': 'no-cache',
      'X-Content-Type-Options': 'nosniff',
      ...ISOLATION_HEADERS,
    });
    res.end(req.method === 'HEAD' ? undefined : bytes);
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
    .description("serve the browser playground (the paper's comparison, live; theory checks; exports) on 127.0.0.1")
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
