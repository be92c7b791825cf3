// A playground run exported: its record has the fields of `sgdlab runs show --json`, its config is
// one `sgdlab train --config` accepts, and its parameters load as `sgdlab train --init` loads them.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { flatten, HostTensor } from '../../src/graph/index.ts';
import { buildModel } from '../../src/nn/index.ts';
import { RunStore } from '../../src/store/index.ts';
import { loadParams, resolveConfig } from '../../src/train/index.ts';
import { Rng } from '../../src/util/random.ts';
import { parametersFile, runRecord } from '../../src/web/export.ts';
import { DEFAULT_RUNS, DEFAULT_SHARED } from '../../src/web/settings.ts';

const dir = mkdtempSync(join(tmpdir(), 'sgdlab-playground-export-'));

test('the run record has exactly the fields of runs show --json, and its config passes resolveConfig', () => {
  const history = [0, 1].map((epoch) => ({ step: 75 * epoch, epoch, metrics: { train_loss: 2 - epoch, train_acc: 0.5 + epoch / 4, test_acc: 0.4 + epoch / 4, c_reg: 1 } }));
  const record = runRecord({
    index: 1, shared: DEFAULT_SHARED, run: DEFAULT_RUNS[1]!, data: 'digits', createdAt: new Date().toISOString(), history,
    status: { state: 'finished', steps: 75, epoch: 1, totalSteps: 75, losses: [], stepsPerSecond: 100 },
  });
  const store = RunStore.open(join(dir, 'runs.sqlite'));
  const id = store.createRun({ config: { a: 1 }, seed: 0 });
  store.appendMetrics(id, { step: 0, epoch: 0, train_loss: 1 });
  const shown = { ...store.getRun(id), metrics: store.metrics(id) };
  store.close();
  assert.deepEqual(Object.keys(record).sort(), Object.keys(shown).sort());
  assert.equal(record.status, 'finished');
  assert.deepEqual(record.best, { ...history[1]!.metrics, step: 75, epoch: 1 });
  assert.deepEqual(record.metrics[1], { step: 75, epoch: 1, ...history[1]!.metrics });
  const { effectiveLr, ...config } = record.config;
  assert.equal(effectiveLr, 2 ** -8);
  const resolved = resolveConfig(config);
  assert.equal(resolved.lambda, 1);
  assert.equal(resolved.model, 'mlp:256x2');
});

test('the parameters file loads with loadParams (sgdlab train --init) into the model it names', () => {
  const model = buildModel('mlp:256x2', [1, 8, 8], 10);
  const params = model.init(new Rng(5), 'float32');
  const flat = flatten<HostTensor>(params);
  const bytes = parametersFile(flat.leaves.map((t, i) => ({ path: flat.paths[i]!, shape: [...t.shape], data: t.data as Float32Array })), { model: 'mlp:256x2', step: '1500' });
  const file = join(dir, 'run.safetensors');
  writeFileSync(file, bytes);
  const loaded = loadParams(file, model.init(new Rng(6), 'float32'));
  assert.equal(loaded.metadata.step, '1500');
  assert.deepEqual(flatten<HostTensor>(loaded.params).leaves.map((t) => t.data), flat.leaves.map((t) => t.data));
});
