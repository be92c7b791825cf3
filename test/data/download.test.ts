// Tests of fetchDataset against a local HTTP server on 127.0.0.1 serving fixture files (no other host is contacted).
// Checks checksum verification, skipping present files, redirects, and that failures leave nothing at the destination.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { DataError, fetchDataset, loadCifar10, loadFashionMnist, DATASET_SOURCES, type DownloadProgress } from '../../src/data/index.ts';
import { cifarRecords, idxImages, idxLabels, makeTar, tempDir } from './fixtures.ts';

const md5 = (data: Uint8Array) => createHash('md5').update(data).digest('hex');

const fashionFiles: Record<string, Buffer> = {
  'train-images-idx3-ubyte.gz': gzipSync(idxImages(8)),
  'train-labels-idx1-ubyte.gz': gzipSync(idxLabels(8)),
  't10k-images-idx3-ubyte.gz': gzipSync(idxImages(3)),
  't10k-labels-idx1-ubyte.gz': gzipSync(idxLabels(3)),
};
const fashionMd5 = Object.fromEntries(Object.entries(fashionFiles).map(([name, data]) => [name, md5(data)]));

const cifarArchive = gzipSync(makeTar([
  { path: 'cifar-10-batches-bin/', type: '5' },
  ...[1, 2, 3, 4, 5].map((b) => ({ path: `cifar-10-batches-bin/data_batch_${b}.bin`, data: cifarRecords(2, b) })),
  { path: 'cifar-10-batches-bin/test_batch.bin', data: cifarRecords(2) },
  { path: 'cifar-10-batches-bin/batches.meta.txt', data: Buffer.from('airplane\n') },
]));
const evilArchive = gzipSync(makeTar([{ path: 'cifar-10-batches-bin/../../escaped.bin', data: Buffer.from('x') }]));

interface Fixture {
  baseUrl: string;
  requests: string[];
}

/** A loopback server: /files/NAME serves the fixture, /corrupt/ flips a byte, /redirect/ and /loop/ redirect, /cut/ closes early. */
async function startServer(t: { after: (fn: () => void) => void }): Promise<Fixture> {
  const requests: string[] = [];
  const server = http.createServer((req, res) => {
    const url = req.url ?? '/';
    requests.push(url);
    const [, route, ...rest] = url.split('/');
    const name = rest.join('/');
    const body = route === 'cifar' ? cifarArchive : route === 'evil' ? evilArchive : ['files', 'corrupt', 'cut'].includes(route ?? '') ? fashionFiles[name] : undefined;
    if (route === 'redirect') {
      // Three hops: relative, then absolute, then to the file.
      const hop = Number(rest[0]);
      const file = rest.slice(1).join('/');
      const location = hop < 3 ? `/redirect/${hop + 1}/${file}` : `/files/${file}`;
      res.writeHead(hop === 1 ? 301 : 302, { location: hop === 2 ? `http://127.0.0.1:${(server.address() as AddressInfo).port}${location}` : location });
      res.end();
      return;
    }
    if (route === 'loop') {
      res.writeHead(302, { location: url });
      res.end();
      return;
    }
    if (!body) {
      res.writeHead(404);
      res.end('not here');
      return;
    }
    if (route === 'corrupt') {
      const copy = Buffer.from(body);
      copy[copy.length >> 1]! ^= 0xff;
      res.writeHead(200, { 'content-length': copy.length });
      res.end(copy);
      return;
    }
    if (route === 'cut') {
      res.writeHead(200, { 'content-length': body.length });
      res.write(body.subarray(0, body.length >> 1), () => res.destroy());
      return;
    }
    res.writeHead(200, { 'content-length': body.length });
    res.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => {
    server.closeAllConnections();
    server.close();
  });
  return { baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests };
}

async function rejectsWith(promise: Promise<unknown>, message: RegExp): Promise<DataError> {
  let caught: unknown;
  await promise.catch((err) => (caught = err));
  assert.ok(caught instanceof DataError, `expected a DataError, got ${String(caught)}`);
  assert.match(caught.message, message);
  assert.ok(!caught.message.includes('\n'));
  return caught;
}

test('fashion-mnist downloads, verifies, loads, and skips present files on the second run', async (t) => {
  const server = await startServer(t);
  const dir = join(tempDir(t), 'fashion');
  const progress: DownloadProgress[] = [];
  const result = await fetchDataset('fashion-mnist', dir, { baseUrl: `${server.baseUrl}/files/`, expectedMd5: fashionMd5, onProgress: (p) => progress.push(p) });
  assert.deepEqual(result.files.map((f) => f.status), ['downloaded', 'downloaded', 'downloaded', 'downloaded']);
  for (const [name, data] of Object.entries(fashionFiles)) assert.deepEqual(readFileSync(join(dir, name)), data);
  assert.deepEqual(readdirSync(dir).sort(), Object.keys(fashionFiles).sort()); // no temporary files left
  assert.ok(progress.some((p) => p.file === 'train-images-idx3-ubyte.gz' && p.receivedBytes === p.totalBytes));
  const split = loadFashionMnist(dir, { verify: false }); // fixture contents, not the official files
  assert.equal(split.train.n, 8);
  assert.equal(split.test?.n, 3);

  const requestsBefore = server.requests.length;
  const again = await fetchDataset('fashion-mnist', dir, { baseUrl: `${server.baseUrl}/files`, expectedMd5: fashionMd5 });
  assert.deepEqual(again.files.map((f) => f.status), ['present', 'present', 'present', 'present']);
  assert.equal(server.requests.length, requestsBefore);
});

test('redirects are followed, up to five', async (t) => {
  const server = await startServer(t);
  const dir = tempDir(t);
  const result = await fetchDataset('fashion-mnist', dir, { baseUrl: `${server.baseUrl}/redirect/1`, expectedMd5: fashionMd5 });
  assert.ok(result.files.every((f) => f.status === 'downloaded'));
  assert.ok(server.requests.includes('/redirect/3/train-images-idx3-ubyte.gz'));
  const loopDir = tempDir(t);
  await rejectsWith(fetchDataset('fashion-mnist', loopDir, { baseUrl: `${server.baseUrl}/loop`, expectedMd5: fashionMd5 }), /^train-images-idx3-ubyte\.gz: too many redirects \(more than 5\)/);
  assert.deepEqual(readdirSync(loopDir), []);
});

test('a corrupted download is rejected naming both checksums, and nothing is left behind', async (t) => {
  const server = await startServer(t);
  const dir = tempDir(t);
  const expected = fashionMd5['train-images-idx3-ubyte.gz']!;
  const err = await rejectsWith(fetchDataset('fashion-mnist', dir, { baseUrl: `${server.baseUrl}/corrupt`, expectedMd5: fashionMd5 }), /^train-images-idx3-ubyte\.gz: checksum mismatch, expected md5 [0-9a-f]{32}, got [0-9a-f]{32}/);
  assert.ok(err.message.includes(expected));
  assert.equal(existsSync(join(dir, 'train-images-idx3-ubyte.gz')), false);
  assert.deepEqual(readdirSync(dir), []);
});

test('the published checksums are used by default, so fixtures do not pass as the real data', async (t) => {
  const server = await startServer(t);
  const dir = tempDir(t);
  const published = DATASET_SOURCES['fashion-mnist'].files[0]!.md5;
  assert.equal(published, '8d4fb7e6c68d591d4c3dfef9ec88bf0d');
  await rejectsWith(fetchDataset('fashion-mnist', dir, { baseUrl: `${server.baseUrl}/files` }), new RegExp(`expected md5 ${published}, got ${fashionMd5['train-images-idx3-ubyte.gz']}`));
  assert.deepEqual(readdirSync(dir), []);
});

test('a present file with another checksum is refused and left untouched', async (t) => {
  const server = await startServer(t);
  const dir = tempDir(t);
  const path = join(dir, 'train-labels-idx1-ubyte.gz');
  writeFileSync(path, 'my own file');
  await rejectsWith(fetchDataset('fashion-mnist', dir, { baseUrl: `${server.baseUrl}/files`, expectedMd5: fashionMd5 }), new RegExp(`^train-labels-idx1-ubyte\\.gz: already present in the data directory with md5 ${md5(Buffer.from('my own file'))}, expected ${fashionMd5['train-labels-idx1-ubyte.gz']}`));
  assert.equal(readFileSync(path, 'utf8'), 'my own file');
  // A directory in the way of the destination: a DataError, and no temporary file left.
  const blocked = tempDir(t);
  mkdirSync(join(blocked, 'train-images-idx3-ubyte.gz'));
  await rejectsWith(fetchDataset('fashion-mnist', blocked, { baseUrl: `${server.baseUrl}/files`, expectedMd5: fashionMd5 }), /^train-images-idx3-ubyte\.gz: cannot save to /);
  assert.deepEqual(readdirSync(blocked), ['train-images-idx3-ubyte.gz']);
});

test('network failures become one-line DataErrors and leave nothing behind', async (t) => {
  const server = await startServer(t);
  const dir = tempDir(t);
  await rejectsWith(fetchDataset('fashion-mnist', dir, { baseUrl: `${server.baseUrl}/missing`, expectedMd5: fashionMd5 }), /^train-images-idx3-ubyte\.gz: HTTP 404 Not Found from http:\/\/127\.0\.0\.1:\d+\/missing\/train-images-idx3-ubyte\.gz$/);
  await rejectsWith(fetchDataset('fashion-mnist', dir, { baseUrl: `${server.baseUrl}/cut`, expectedMd5: fashionMd5 }), /^train-images-idx3-ubyte\.gz: download from .* (failed|ended after)/);
  assert.deepEqual(readdirSync(dir), []);
  // A port that was just closed refuses connections.
  const closed = http.createServer();
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
  const port = (closed.address() as AddressInfo).port;
  await new Promise((resolve) => closed.close(resolve));
  await rejectsWith(fetchDataset('fashion-mnist', dir, { baseUrl: `http://127.0.0.1:${port}` }), /^train-images-idx3-ubyte\.gz: download from .* failed: connect ECONNREFUSED 127\.0\.0\.1:/);
  await rejectsWith(fetchDataset('fashion-mnist', dir, { baseUrl: 'ftp://127.0.0.1/x' }), /unsupported URL protocol 'ftp:'/);
  assert.deepEqual(readdirSync(dir), []);
});

test('cifar10 downloads the archive, extracts it safely, and loads; a second run re-uses everything', async (t) => {
  const server = await startServer(t);
  const dir = tempDir(t);
  const expectedMd5 = { 'cifar-10-binary.tar.gz': md5(cifarArchive) };
  const result = await fetchDataset('cifar10', dir, { baseUrl: `${server.baseUrl}/cifar`, expectedMd5 });
  assert.equal(result.files[0]?.status, 'downloaded');
  assert.equal(result.extracted.length, 7);
  const split = loadCifar10(dir);
  assert.equal(split.train.n, 10);
  assert.equal(split.test?.n, 2);
  const again = await fetchDataset('cifar10', dir, { baseUrl: `${server.baseUrl}/cifar`, expectedMd5 });
  assert.equal(again.files[0]?.status, 'present');
  assert.deepEqual(again.extracted, []);
});

test('cifar10: an archive with an escaping path is rejected and nothing is extracted', async (t) => {
  const server = await startServer(t);
  const root = tempDir(t);
  const dir = join(root, 'data');
  await rejectsWith(fetchDataset('cifar10', dir, { baseUrl: `${server.baseUrl}/evil`, expectedMd5: { 'cifar-10-binary.tar.gz': md5(evilArchive) } }), /^cifar-10-binary\.tar\.gz: unsafe path .* \(contains '\.\.'\)$/);
  assert.deepEqual(readdirSync(root), ['data']);
  assert.deepEqual(readdirSync(dir), ['cifar-10-binary.tar.gz']);
});
