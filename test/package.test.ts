// sgdlab as another project sees it: `npm pack` (which builds dist/ through `prepack`), the tarball
// unpacked into a fresh project's node_modules, then (1) the README's TypeScript block and a typed
// program type-check against the package's own declarations, and (2) plain JavaScript imports the
// public API and trains a small model. The package's dependencies come from this checkout's
// node_modules (linked, as npm would install them), so the test needs no network.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const repo = new URL('..', import.meta.url).pathname;

/** The ```ts blocks of the README, in order. */
export function readmeTypeScript(): string[] {
  const readme = readFileSync(join(repo, 'README.md'), 'utf8');
  return [...readme.matchAll(/^```ts\n([\s\S]*?)^```$/gm)].map((m) => m[1]!);
}

/** [declaration file, package] for every package import in the .d.ts files that dist/index.d.ts reaches. */
function publicDeclarationImports(dist: string): [string, string][] {
  const found: [string, string][] = [];
  const seen = new Set<string>();
  const visit = (file: string): void => {
    if (seen.has(file)) return;
    seen.add(file);
    for (const [, specifier] of readFileSync(join(dist, file), 'utf8').matchAll(/(?:from\s+|import\()['"]([^'"]+)['"]/g)) {
      if (specifier!.startsWith('.')) visit(join(dirname(file), specifier!.replace(/\.(ts|js)$/, '.d.ts')));
      else if (!specifier!.startsWith('node:')) found.push([file, specifier!.split('/').slice(0, specifier!.startsWith('@') ? 2 : 1).join('/')]);
    }
  };
  visit('index.d.ts');
  assert.ok(seen.size > 20, `dist/index.d.ts reaches ${seen.size} declaration files`);
  return found;
}

const typedProgram = `
import { compile, compileLoop, grad, hvp, spec, HostTensor, nn, train, resolveConfig, type Tensor } from 'sgdlab';

const f = await compile(({ w, x }) => ({ loss: x.matmul(w).square().mean(), g: grad((v: Tensor) => x.matmul(v).square().mean())(w) }), { w: spec([3, 2]), x: spec([4, 3]) });
const out = await f.run({ w: new HostTensor(new Float32Array(6), [3, 2]), x: new HostTensor(new Float32Array(12), [4, 3]) });
const loss: number = out.loss.item();
const shape: readonly number[] = out.g.shape;
// @ts-expect-error: an input the specs do not have
await f.run({ w: new HostTensor(new Float32Array(6), [3, 2]), z: new HostTensor(new Float32Array(12), [4, 3]) });
const loop = await compileLoop((c, x) => ({ carry: { w: c.w.sub(x.g) }, out: { n: c.w.sum() } }), { carry: { w: spec([3]) }, perStep: { g: spec([3]) } }, 4);
const stacked = (n: number, k: number) => new HostTensor(new Float32Array(n * k), [k, n]);
const steps = await loop.run({ carry: { w: new HostTensor(new Float32Array(3), [3]) }, perStep: { g: stacked(3, 4) }, shared: {} });
const norms: HostTensor = steps.out.n;
// @ts-expect-error: a carry the specs do not have
await loop.run({ carry: { q: new HostTensor(new Float32Array(3), [3]) }, perStep: { g: stacked(3, 4) }, shared: {} });
const model: nn.Model = nn.buildModel('mlp:8x1', [64], 10);
const result = await train(resolveConfig({ model: 'mlp:8x1', epochs: 1 }));
const status: 'finished' | 'diverged' | 'stopped' = result.status;
void [loss, shape, norms, model, status, hvp];
`;

const plainJavaScript = `
import { grad, valueAndGrad, vjp, hvp, compile, compileLoop, spec, HostTensor, nn, train, resolveConfig } from 'sgdlab';

for (const [name, f] of Object.entries({ grad, valueAndGrad, vjp, hvp, compile, compileLoop, spec, train })) {
  if (typeof f !== 'function') throw new Error(name + ' is not a function');
}
const f = await compile(({ w }) => w.square().sum(), { w: spec([3]) });
const y = await f.run({ w: new HostTensor(Float32Array.of(1, 2, 3), [3]) });
const result = await train(resolveConfig({ data: 'digits', model: 'mlp:16x1', batch: 16, epochs: 2, lr: 0.1, seed: 1 }));
console.log(JSON.stringify({ sumOfSquares: y.item(), models: typeof nn.buildModel, status: result.status, steps: result.steps, first: result.history[0].metrics.train_loss, last: result.final.train_loss, testAcc: result.final.test_acc }));
`;

test('npm pack, unpacked into another project: the README and a typed program type-check, plain JavaScript trains a model', { timeout: 600_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sgdlab-package-'));
  try {
    await run('npm', ['pack', '--pack-destination', dir], { cwd: repo, maxBuffer: 1 << 26 });
    const tarball = readdirSync(dir).find((f) => f.endsWith('.tgz'));
    assert.ok(tarball, 'npm pack wrote no tarball');
    const project = join(dir, 'consumer');
    const installed = join(project, 'node_modules', 'sgdlab');
    mkdirSync(installed, { recursive: true });
    await run('tar', ['-xzf', join(dir, tarball), '-C', installed, '--strip-components=1']);
    symlinkSync(join(repo, 'node_modules'), join(installed, 'node_modules'));
    const shipped = readdirSync(installed);
    assert.ok(shipped.includes('dist') && !shipped.includes('test'), `the package holds ${shipped.join(', ')}`);
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));

    // (0) The public declarations import only dependencies that ship their own: a consumer installs no
    // @types package for them (this project's node_modules, linked here, would hide one that is missing).
    const manifest = JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
    for (const [file, module] of publicDeclarationImports(join(installed, 'dist'))) {
      assert.ok(module in manifest.dependencies, `${file} imports ${module}, not a dependency`);
      const dependency = JSON.parse(readFileSync(join(repo, 'node_modules', module, 'package.json'), 'utf8')) as { types?: string; typings?: string };
      assert.ok(dependency.types ?? dependency.typings, `${file} imports ${module}, which ships no declarations (its @types package is a dev dependency)`);
    }

    // (1) Types: the README's blocks and a typed program against dist/*.d.ts, as a user's strict tsc sees
    // them, every declaration file checked (no skipLibCheck): the public types name no dev dependency's.
    const blocks = readmeTypeScript();
    assert.ok(blocks.some((b) => b.includes("from 'sgdlab'")), 'the README has a TypeScript block importing sgdlab');
    blocks.forEach((b, i) => writeFileSync(join(project, `readme-${i}.ts`), b));
    writeFileSync(join(project, 'typed.ts'), typedProgram);
    writeFileSync(join(project, 'tsconfig.json'), JSON.stringify({
      compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, noEmit: true, types: ['node'], typeRoots: [join(repo, 'node_modules', '@types')] },
      include: ['*.ts'],
    }));
    await run(process.execPath, [join(repo, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', project], { cwd: project }).catch((e: { stdout?: string }) => {
      assert.fail(`tsc in the consumer project:\n${e.stdout}`);
    });

    // (2) The README's block runs as the user's program (transpiled the way tsx would, then plain Node).
    const ts = (await import('typescript')).default;
    const readmeBlock = blocks.find((b) => b.includes("from 'sgdlab'"))!;
    writeFileSync(join(project, 'readme.mjs'), ts.transpileModule(readmeBlock, { compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 } }).outputText);
    const snippet = await run(process.execPath, ['readme.mjs'], { cwd: project, env: { ...process.env, NODE_OPTIONS: '' } });
    const printed = /^C (\S+), C_mod (\S+), gradient \[64, 10\]$/m.exec(snippet.stdout);
    assert.ok(printed, snippet.stdout);
    assert.ok(Number(printed[2]) > Number(printed[1]), `the regularizer adds to the cost: ${snippet.stdout}`);
    assert.ok(readmeBlock.includes(`// → ${printed[0]}`), `README states what the block prints: ${printed[0]}`);

    // (3) The command as installed: compiled JavaScript, and the ONNX Runtime that the package resolves.
    const ortVersion = (JSON.parse(readFileSync(join(repo, 'node_modules', 'onnxruntime-node', 'package.json'), 'utf8')) as { version: string }).version;
    const version = await run(process.execPath, [join(installed, 'bin', 'sgdlab.js'), '--version'], { cwd: project });
    assert.match(version.stdout, new RegExp(`^Node ${process.versions.node}, ONNX Runtime ${ortVersion.replace(/\./g, '\\.')}$`, 'm'));
    assert.match(version.stdout, /^git commit not a git checkout$/m);

    // (4) Plain JavaScript, no TypeScript loader: the public API, and 2 epochs on the embedded digits.
    writeFileSync(join(project, 'train.mjs'), plainJavaScript);
    const { stdout } = await run(process.execPath, ['train.mjs'], { cwd: project, env: { ...process.env, NODE_OPTIONS: '' } });
    const r = JSON.parse(stdout.trim().split('\n').pop()!);
    assert.equal(r.sumOfSquares, 14);
    assert.equal(r.models, 'function');
    assert.equal(r.status, 'finished');
    assert.ok(r.steps > 0);
    assert.ok(r.last < r.first, `training loss ${r.first} → ${r.last}`);
    assert.ok(r.testAcc > 0.5, `test accuracy ${r.testAcc}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
