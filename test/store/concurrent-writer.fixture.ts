// A second process for the run-store concurrency test: it writes a run of its own into the same
// SQLite file while the test process writes another, then reports its run id to the parent.

import { RunStore } from '../../src/store/index.ts';

const [path, countText] = process.argv.slice(2);
const store = RunStore.open(path!);
const id = store.createRun({ config: { writer: 'child' }, seed: 2, name: 'child' });
const count = Number(countText);
for (let step = 0; step < count; step++) {
  store.appendMetrics(id, { step, epoch: Math.floor(step / 10), train_loss: 1 / (step + 1), wall_time: step });
}
store.finishRun(id, { status: 'finished', final: { train_loss: 1 / count } });
store.close();
process.send!({ id });
