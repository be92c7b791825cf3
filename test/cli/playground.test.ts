// `sgdlab playground`: the server sends the cross-origin isolation headers that onnxruntime-web's
// threads need, serves the wasm from the package, listens on 127.0.0.1 only, and refuses bad ports
// with one line; `npm run build:playground`'s writer produces the same site as files.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:net';
import { servePlayground } from '../../src/cli/playground.ts';
import { writePlayground } from '../../src/web/build.ts';
import { sgdlab, SGDLAB_BIN } from '../sgdlab-cli.ts';

test('the server: isolation headers on every response, the right content types, 404 for the rest', async () => {
  const { server, url } = await servePlayground(0);
  try {
    assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
    for (const [path, type] of [['', 'text/html'], ['app.js', 'text/javascript'], ['worker.js', 'text/javascript'], ['ort/ort-wasm-simd-threaded.wasm', 'application/wasm'], ['assets/digits.csv.gz', 'application/gzip']]) {
      const r = await fetch(`${url}${path}`);
      assert.equal(r.status, 200, path);
      assert.ok(r.headers.get('content-type')!.startsWith(type), `${path}: ${r.headers.get('content-type')}`);
      assert.equal(r.headers.get('cross-origin-opener-policy'), 'same-origin');
      assert.equal(r.headers.get('cross-origin-embedder-policy'), 'require-corp');
      await r.arrayBuffer();
    }
    assert.equal((await fetch(`${url}nothing-here`)).status, 404);
    assert.equal((await fetch(`${url}_headers`)).status, 404);
    assert.equal((await fetch(url, { method: 'POST' })).status, 405);
    // A port in use is the user's to fix: one line, naming the flag.
    const port = Number(new URL(url).port);
    await assert.rejects(servePlayground(port), { name: 'UsageError', message: `playground --port ${port}: the port is in use (choose another, or 0 for any free port)` });
  } finally {
    server.close();
  }
});

/** Send raw bytes to the server and read its whole answer (the status line is enough here). */
function rawRequest(url: string, bytes: string): Promise<string> {
  const { port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), '127.0.0.1', () => socket.end(bytes));
    let answer = '';
    socket.on('data', (d: Buffer) => (answer += d.toString('latin1')));
    socket.on('end', () => resolve(answer));
    socket.on('error', reject);
  });
}

test('malformed requests are answered 400, other Hosts 403, and the server keeps serving', async () => {
  const { server, url } = await servePlayground(0);
  try {
    const cases: [string, RegExp][] = [
      // An absolute-form target with an out-of-range port once made `new URL` throw and the process exit.
      ['GET http://127.0.0.1:99999/ HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n', /^HTTP\/1\.1 400 /],
      ['GET http://[::1/ HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n', /^HTTP\/1\.1 400 /],
      ['GET / HTTP/1.1\r\nHost: 127.0.0.1:99999\r\nConnection: close\r\n\r\n', /^HTTP\/1\.1 400 /],
      ['GET / HTTP/1.0\r\n\r\n', /^HTTP\/1\.1 400 /],
      ['NOT A REQUEST\r\n\r\n', /^HTTP\/1\.1 400 /],
      ['GET / HTTP/1.1\r\nHost: \u0000\u0001\r\n\r\n', /^HTTP\/1\.1 400 /],
      // DNS rebinding: a page of another site, its name pointed at 127.0.0.1.
      ['GET / HTTP/1.1\r\nHost: evil.example\r\nConnection: close\r\n\r\n', /^HTTP\/1\.1 403 /],
      ['GET http://evil.example/index.html HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n', /^HTTP\/1\.1 403 /],
      ['GET /app.js HTTP/1.1\r\nHost: localhost:1\r\nConnection: close\r\n\r\n', /^HTTP\/1\.1 200 /],
      ['HEAD http://127.0.0.1/index.html?x=1 HTTP/1.1\r\nHost: [::1]:8417\r\nConnection: close\r\n\r\n', /^HTTP\/1\.1 200 /],
    ];
    for (const [request, status] of cases) assert.match(await rawRequest(url, request), status, JSON.stringify(request));
    assert.equal((await fetch(url)).status, 200, 'still serving');
  } finally {
    server.close();
  }
});

test('sgdlab playground --no-open prints its URL and serves; a bad --port is one line and exit 2', async () => {
  const bad = await sgdlab(['playground', '--port', 'http', '--no-open']);
  assert.equal(bad.code, 2);
  assert.equal(bad.stderr, "sgdlab: playground --port: 'http' is not a port number (0..65535)\n");
  const child = spawn(process.execPath, [SGDLAB_BIN, 'playground', '--port', '0', '--no-open'], { stdio: ['ignore', 'pipe', 'pipe'] });
  try {
    const line = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('\n')) resolve(out);
      });
      child.once('exit', (code) => reject(new Error(`exited with ${code} before printing a URL`)));
    });
    const url = /^sgdlab playground: (http:\/\/127\.0\.0\.1:\d+\/)/.exec(line)?.[1];
    assert.ok(url, line);
    assert.match(await (await fetch(url!)).text(), /<title>sgdlab playground/);
  } finally {
    child.kill('SIGTERM');
  }
  const code = await new Promise((resolve) => child.once('exit', resolve));
  assert.equal(code, 0, 'SIGTERM closes the server and exits cleanly');
});

test('the static build writes the same site, with a _headers file for hosts that read one', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sgdlab-playground-build-'));
  const files = await writePlayground(dir);
  for (const f of ['index.html', 'app.js', 'worker.js', 'style.css', 'ort/ort-wasm-simd-threaded.wasm', 'ort/ort-wasm-simd-threaded.mjs', 'assets/digits.csv.gz']) {
    assert.ok(existsSync(join(dir, f)), f);
  }
  assert.equal(files.length, new Set(files.map((f) => f.path)).size);
  assert.match(readFileSync(join(dir, '_headers'), 'utf8'), /Cross-Origin-Opener-Policy: same-origin\n {2}Cross-Origin-Embedder-Policy: require-corp/);
  // No CDN: nothing in the bundles points at another host.
  for (const f of files.filter((x) => x.path.endsWith('.js'))) {
    const urls = new TextDecoder().decode(f.bytes).match(/https?:\/\/[a-z0-9.-]+/gi) ?? [];
    const hosts = [...new Set(urls)].filter((u) => !/^https?:\/\/(www\.w3\.org|web\.dev)$/i.test(u));
    assert.deepEqual(hosts, [], `${f.path} refers to ${hosts.join(', ')}`);
  }
});
