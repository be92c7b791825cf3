// Every file path the project names in its comments and docs exists: a path from the repository's root
// (src/…, test/…, bench/…, docs/…, examples/…, sweeps/…) anywhere, and a bare file name (overrides.ts)
// in a source comment or a doc, which must be some tracked file's name. Globs and placeholders are skipped.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = new URL('../..', import.meta.url).pathname;
const SKIP_DIRS = new Set(['node_modules', '.git', 'dist', 'sgdlab-runs']);
const TEXT = /\.(ts|md|sh|py|ya?ml)$/;

function walk(dir: string, out: string[] = []): string[] {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.isDirectory()) {
      if (!SKIP_DIRS.has(e.name) && !e.name.startsWith('.')) walk(join(dir, e.name), out);
    } else if (TEXT.test(e.name)) {
      out.push(relative(root, join(dir, e.name)));
    }
  }
  return out;
}

// A path token: not preceded by a path character, not followed by one or by a glob or placeholder
// character (src/foo-*.ts, docs/figures/fig$N, fig<N>.yaml, name.$ext name patterns, not files).
const ROOTED = /(?<![\w./@-])((?:src|test|bench|docs|examples|sweeps)\/[\w./-]*\w)(?![\w*$<{(-]|\.[\w$])/g;
const BARE_TS = /(?<![\w./@-])(\w[\w-]*\.ts)(?![\w*$<{-])/g;

// This file names missing paths on purpose (its second test).
const files = [...walk(root), '.ci/run'].filter((f) => f !== 'test/docs/paths.test.ts');
const names = new Set(files.map((f) => f.split('/').pop()!));

/** Where a file names paths that do not exist. */
function stalePaths(file: string): string[] {
  const text = readFileSync(join(root, file), 'utf8');
  const stale = [...text.matchAll(ROOTED)].map((m) => m[1]!).filter((p) => !existsSync(join(root, p)));
  // Bare names: in source files (comments name siblings, e.g. "(passes/defer.ts)") and in docs. Tests
  // create files of their own, so their bare names are not references.
  if (file.startsWith('src/') || (file.startsWith('docs/') && file.endsWith('.md'))) {
    stale.push(...[...text.matchAll(BARE_TS)].map((m) => m[1]!).filter((n) => !names.has(n)));
  }
  return stale.map((p) => `${file}: ${p}`);
}

test('every path named in a comment or a doc exists', () => {
  assert.ok(files.length > 300 && files.includes('src/graph/targets/target.ts'), `the walk found the sources (${files.length} files)`);
  assert.deepEqual(files.flatMap(stalePaths), []);
});

test('the check finds a path that moved', () => {
  // The kind of pointer this test exists for: files that moved in the split into targets.
  const moved = 'see src/graph/defer.ts (and overrides.ts)';
  assert.deepEqual([...moved.matchAll(ROOTED)].map((m) => m[1]), ['src/graph/defer.ts']);
  assert.deepEqual([...moved.matchAll(BARE_TS)].map((m) => m[1]).filter((n) => !names.has(n!)), ['overrides.ts']);
  assert.equal(existsSync(join(root, 'src/graph/defer.ts')), false);
});
