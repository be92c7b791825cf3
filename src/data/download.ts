// Download of the official Fashion-MNIST and CIFAR-10 files, verified against their published MD5 checksums.
// Files land under a temporary name and are renamed into place only after the checksum matches.

import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, mkdirSync, renameSync, rmSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { join } from 'node:path';
import { DataError } from './errors.ts';
import { isFile } from './files.ts';
import { extractTarArchive } from './tar.ts';
import { CIFAR10_SUBDIRECTORY, CIFAR10_TEST_FILE, CIFAR10_TRAIN_FILES } from './cifar10.ts';

interface RemoteFile {
  file: string;
  md5: string;
}

interface DatasetSource {
  baseUrl: string;
  files: RemoteFile[];
}

/** Official locations and the checksums published next to them (fashion-mnist README; CIFAR-10 page). */
export const DATASET_SOURCES = {
  'fashion-mnist': {
    baseUrl: 'https://github.com/zalandoresearch/fashion-mnist/raw/master/data/fashion',
    files: [
      { file: 'train-images-idx3-ubyte.gz', md5: '8d4fb7e6c68d591d4c3dfef9ec88bf0d' },
      { file: 'train-labels-idx1-ubyte.gz', md5: '25c81989df183df01b3e8a0aad5dffbe' },
      { file: 't10k-images-idx3-ubyte.gz', md5: 'bef4ecab320f06d8554ea6380940ec79' },
      { file: 't10k-labels-idx1-ubyte.gz', md5: 'bb300cfdad3c16e7a12a480ee83cd310' },
    ],
  },
  cifar10: {
    baseUrl: 'https://www.cs.toronto.edu/~kriz',
    files: [{ file: 'cifar-10-binary.tar.gz', md5: 'c32a1d4ab5d03f1284b67883e8d87530' }],
  },
} satisfies Record<string, DatasetSource>;

export type DownloadableDataset = keyof typeof DATASET_SOURCES;

export const MAX_REDIRECTS = 5;

export interface DownloadProgress {
  file: string;
  receivedBytes: number;
  /** From Content-Length, when the server sends it. */
  totalBytes?: number;
}

export interface FetchDatasetOptions {
  /** Replaces the official base URL (a mirror, or a local test server). */
  baseUrl?: string;
  onProgress?: (progress: DownloadProgress) => void;
  /** Replaces published checksums, by file name: for mirrors of other builds and for tests. */
  expectedMd5?: Record<string, string>;
  /** Socket inactivity timeout in milliseconds (default 60 s). */
  timeoutMs?: number;
}

export interface FetchedFile {
  file: string;
  path: string;
  status: 'downloaded' | 'present';
}

export interface FetchDatasetResult {
  dir: string;
  files: FetchedFile[];
  /** Files written by extracting an archive (CIFAR-10 only). */
  extracted: string[];
}

async function md5OfFile(path: string): Promise<string> {
  const hash = createHash('md5');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

function describe(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  return e?.code && !String(e.message).includes(e.code) ? `${e.code} ${e.message}` : String(e?.message ?? err);
}

/** GET url, following up to MAX_REDIRECTS redirects; resolves with the 200 response. */
function openUrl(url: string, file: string, timeoutMs: number, redirectsLeft = MAX_REDIRECTS): Promise<http.IncomingMessage> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return Promise.reject(new DataError(`${file}: bad download URL '${url}'`));
  }
  const client = parsed.protocol === 'https:' ? https : parsed.protocol === 'http:' ? http : undefined;
  if (!client) return Promise.reject(new DataError(`${file}: unsupported URL protocol '${parsed.protocol}' in ${url}`));
  return new Promise((resolvePromise, reject) => {
    const request = client.get(parsed, (response) => {
      const status = response.statusCode ?? 0;
      const location = response.headers.location;
      if (status >= 300 && status < 400 && location) {
        response.resume(); // drain, so the socket is released
        if (redirectsLeft === 0) {
          reject(new DataError(`${file}: too many redirects (more than ${MAX_REDIRECTS}) starting from ${url}`));
          return;
        }
        resolvePromise(openUrl(new URL(location, parsed).toString(), file, timeoutMs, redirectsLeft - 1));
        return;
      }
      if (status !== 200) {
        response.resume();
        reject(new DataError(`${file}: HTTP ${status} ${response.statusMessage ?? ''}`.trimEnd() + ` from ${url}`));
        return;
      }
      resolvePromise(response);
    });
    request.setTimeout(timeoutMs, () => request.destroy(new Error(`no data for ${timeoutMs} ms`)));
    request.on('error', (err) => reject(new DataError(`${file}: download from ${url} failed: ${describe(err)}`)));
  });
}

/** Stream the response into temporary, hashing on the way; resolves with the MD5. */
function saveResponse(response: http.IncomingMessage, temporary: string, file: string, url: string, onProgress?: (p: DownloadProgress) => void): Promise<string> {
  const lengthHeader = response.headers['content-length'];
  const totalBytes = lengthHeader !== undefined && /^\d+$/.test(lengthHeader) ? Number(lengthHeader) : undefined;
  const hash = createHash('md5');
  const out = createWriteStream(temporary, { flags: 'wx' });
  let receivedBytes = 0;
  return new Promise((resolvePromise, reject) => {
    let failed = false;
    const fail = (err: unknown) => {
      if (failed) return;
      failed = true;
      response.destroy();
      out.destroy();
      const error = err instanceof DataError ? err : new DataError(`${file}: download from ${url} failed: ${describe(err)}`);
      // Reject only once the file handle is closed, so the caller's cleanup cannot race its creation.
      if (out.closed) reject(error);
      else out.once('close', () => reject(error));
    };
    response.on('data', (chunk: Buffer) => {
      receivedBytes += chunk.length;
      hash.update(chunk);
      if (!out.write(chunk)) response.pause();
      onProgress?.(totalBytes === undefined ? { file, receivedBytes } : { file, receivedBytes, totalBytes });
    });
    out.on('drain', () => response.resume());
    response.on('aborted', () => fail(new Error('connection closed early')));
    response.on('error', fail);
    out.on('error', fail);
    response.on('end', () => {
      if (failed) return;
      if (totalBytes !== undefined && receivedBytes !== totalBytes) {
        fail(new DataError(`${file}: download from ${url} ended after ${receivedBytes} of ${totalBytes} bytes`));
        return;
      }
      out.end(() => (failed ? undefined : resolvePromise(hash.digest('hex'))));
    });
  });
}

/**
 * Make dest hold the file at url with the given MD5. A present file with that checksum is kept
 * (status 'present'); a present file with another checksum is never overwritten (DataError).
 */
async function downloadVerified(url: string, dest: string, expectedMd5: string, options: { onProgress?: (p: DownloadProgress) => void; timeoutMs?: number; file?: string } = {}): Promise<'downloaded' | 'present'> {
  const file = options.file ?? dest.split(/[\\/]/).pop()!;
  const expected = expectedMd5.toLowerCase();
  if (isFile(dest)) {
    const actual = await md5OfFile(dest);
    if (actual === expected) return 'present';
    throw new DataError(`${file}: already present in the data directory with md5 ${actual}, expected ${expected}; delete it to download again`);
  }
  const temporary = `${dest}.partial-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    const response = await openUrl(url, file, options.timeoutMs ?? 60_000);
    const actual = await saveResponse(response, temporary, file, url, options.onProgress);
    if (actual !== expected) throw new DataError(`${file}: checksum mismatch, expected md5 ${expected}, got ${actual} (from ${url})`);
    renameSync(temporary, dest);
    return 'downloaded';
  } catch (err) {
    throw err instanceof DataError ? err : new DataError(`${file}: cannot save to ${dest}: ${describe(err)}`);
  } finally {
    rmSync(temporary, { force: true });
  }
}

/** Extract the CIFAR-10 archive in dir unless its batch files are all there already. */
function extractCifar10(archivePath: string, dir: string): string[] {
  const batchDir = join(dir, CIFAR10_SUBDIRECTORY);
  if ([...CIFAR10_TRAIN_FILES, CIFAR10_TEST_FILE].every((f) => isFile(join(batchDir, f)))) return [];
  return extractTarArchive(archivePath, dir, archivePath.split(/[\\/]/).pop()!);
}

/** Download (and for CIFAR-10 extract) the official files of a data set into dir. */
export async function fetchDataset(name: DownloadableDataset, dir: string, options: FetchDatasetOptions = {}): Promise<FetchDatasetResult> {
  const source = DATASET_SOURCES[name];
  if (!source) throw new DataError(`fetch: unknown data set '${String(name)}' (expected ${Object.keys(DATASET_SOURCES).join(' or ')})`);
  try {
    mkdirSync(dir, { recursive: true });
  } catch (err) {
    throw new DataError(`${name}: cannot create directory ${dir} (${describe(err)})`);
  }
  const baseUrl = (options.baseUrl ?? source.baseUrl).replace(/\/+$/, '');
  const files: FetchedFile[] = [];
  for (const { file, md5 } of source.files) {
    const path = join(dir, file);
    const expected = options.expectedMd5?.[file] ?? md5;
    const downloadOptions = { file, ...(options.onProgress ? { onProgress: options.onProgress } : {}), ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}) };
    const status = await downloadVerified(`${baseUrl}/${file}`, path, expected, downloadOptions);
    files.push({ file, path, status });
  }
  const extracted = name === 'cifar10' ? extractCifar10(join(dir, source.files[0]!.file), dir) : [];
  return { dir, files, extracted };
}
