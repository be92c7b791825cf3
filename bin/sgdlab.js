#!/usr/bin/env node
// The `sgdlab` command: runs the compiled CLI in dist/ (built by `npm run build`, which `npm ci` and
// `npm pack` run), or the TypeScript sources through tsx where dist/ is missing or older than a source.
import { existsSync, readdirSync, statSync } from 'node:fs';

const root = new URL('..', import.meta.url);
const compiled = new URL('dist/cli/main.js', root);

/** The last modification of any TypeScript source: a checkout edited since its build runs from source. */
function newestSourceTime() {
  const src = new URL('src/', root);
  let newest = 0;
  for (const file of readdirSync(src, { recursive: true })) {
    if (file.endsWith('.ts')) newest = Math.max(newest, statSync(new URL(file, src)).mtimeMs);
  }
  return newest;
}

// Transpiling the sources at every start cost about a second; the compiled CLI starts in a fraction of that.
const fresh = existsSync(compiled) && statSync(compiled).mtimeMs >= newestSourceTime();
let main;
if (fresh) {
  ({ main } = await import(compiled.href));
} else {
  const { register } = await import('tsx/esm/api');
  register();
  ({ main } = await import('../src/cli/main.ts'));
}
process.exitCode = await main(process.argv);
