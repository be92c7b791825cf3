// `sgdlab data fetch NAME [--dir D]`: download the official files of a data set in DATASET_SOURCES
// (src/data/download.ts) and verify their published checksums before anything is kept.

import type { Command } from 'commander';
import { fetchDataset, DATASET_SOURCES, type DownloadableDataset } from '../data/index.ts';
import { UsageError } from './errors.ts';
import { checkOutputPaths } from '../util/output-path.ts';

const DOWNLOADABLE_DATASETS = Object.keys(DATASET_SOURCES) as DownloadableDataset[];

export function register(program: Command): void {
  const data = program.command('data');
  data
    .command('fetch <name>')
    .description(`download ${DOWNLOADABLE_DATASETS.join(' or ')} and verify the published checksums`)
    .option('--dir <dir>', 'where to put the files (default ./data/<name>)')
    .option('--base-url <url>', 'mirror to download from instead of the official host')
    .action(async (name: string, opts: { dir?: string; baseUrl?: string }) => {
      if (!DOWNLOADABLE_DATASETS.includes(name as DownloadableDataset)) throw new UsageError(`data fetch ${name}: unknown data set (expected ${DOWNLOADABLE_DATASETS.join(' or ')})`);
      const dir = opts.dir ?? `./data/${name}`;
      // A folder the user names needs its parent (a typo creates no tree); the default ./data/<name> is created.
      checkOutputPaths([{ flag: '--dir', path: dir, kind: 'directory', createParents: opts.dir === undefined }]);
      const result = await fetchDataset(name as DownloadableDataset, dir, {
        ...(opts.baseUrl ? { baseUrl: opts.baseUrl } : {}),
        onProgress: (p) => {
          if (process.stderr.isTTY) process.stderr.write(`\r\x1b[K${p.file}: ${(p.receivedBytes / 1048576).toFixed(1)}${p.totalBytes ? ` / ${(p.totalBytes / 1048576).toFixed(1)}` : ""} MiB`);
        },
      });
      if (process.stderr.isTTY) process.stderr.write('\r\x1b[K');
      for (const f of result.files) process.stdout.write(`${f.status === 'present' ? 'already present' : 'downloaded'}, checksum ok: ${f.path}\n`);
      for (const e of result.extracted) process.stdout.write(`extracted: ${e}\n`);
      process.stdout.write(`train with: sgdlab train --data ${name} --data-dir ${result.dir}\n`);
    });
}
