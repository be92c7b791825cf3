// The model table: every family builds from its own example spec (a row per family), and bad specs
// are one-line errors that name the spec and list the families.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildModel, modelSize, MODELS, MODEL_SYNTAX, ModelSpecError } from '../../src/nn/index.ts';
import { flatten } from '../../src/graph/index.ts';
import { Rng } from '../../src/util/random.ts';
import type { HostTensor } from '../../src/graph/index.ts';

/** Input shape and parameter count of each family's example on that input (one row per family). */
const ROWS: Record<keyof typeof MODELS, { inputShape: number[]; classes: number; params: number }> = {
  // 784·4096 + 4096 + 2·(4096² + 4096) + 4096·10 + 10
  mlp: { inputShape: [784], classes: 10, params: 784 * 4096 + 4096 + 2 * (4096 * 4096 + 4096) + 4096 * 10 + 10 },
  // Stem 3·16·9; per group (widths 64, 128, 256; two blocks each): 3×3 convs in→w, w→w, w→w, w→w, a 1×1
  // shortcut in→w; convolutions without bias; a SkipInit gate per block; the head 256·10 + 10.
  wrn: { inputShape: [3, 32, 32], classes: 10, params: 432 + (9 * 16 * 64 + 3 * 9 * 64 * 64 + 16 * 64) + (9 * 64 * 128 + 3 * 9 * 128 * 128 + 64 * 128) + (9 * 128 * 256 + 3 * 9 * 256 * 256 + 128 * 256) + 6 + 2570 },
};

test('every model family builds from its example spec', () => {
  for (const [family, entry] of Object.entries(MODELS)) {
    const row = ROWS[family as keyof typeof MODELS];
    assert.ok(row, `a test row for ${family}`);
    const model = buildModel(entry.example, row.inputShape, row.classes);
    const leaves = flatten<HostTensor>(model.init(new Rng(0), 'float32')).leaves;
    assert.equal(leaves.reduce((n, t) => n + t.data.length, 0), row.params, entry.example);
    assert.equal(modelSize(entry.example, row.inputShape, row.classes)?.params, row.params, `${entry.example}: the size formula counts what build makes`);
  }
});

test('bad model specs are one-line errors naming the spec', () => {
  const cases: [string, RegExp][] = [
    ['resnet:50', new RegExp(`^--model resnet:50: unknown model \\(expected ${MODEL_SYNTAX.replace(/[()|.]/g, '\\$&')}\\)$`)],
    ['mlp:wide', /^--model mlp:wide: expected mlp:WIDTHxDEPTH, e\.g\. mlp:4096x3$/],
    ['mlp:0x2', /^--model mlp:0x2: width must be ≥ 1$/],
    ['wrn:12-1', /^--model wrn:12-1: Wide-ResNet depth must be 6n\+4/],
    ['constructor', /^--model constructor: unknown model/],
  ];
  for (const [spec, message] of cases) {
    assert.throws(() => buildModel(spec, [784], 10), (e: unknown) => e instanceof ModelSpecError && message.test(e.message), spec);
    assert.equal(modelSize(spec, [784], 10), undefined, `${spec}: no size for a spec build refuses`);
  }
});
