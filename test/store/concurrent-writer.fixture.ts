// A second process for the run-store tests: it writes a run of its own into the same SQLite file
// as the test process, either a fixed number of steps or until the test kills it mid-write.

import { RunStore } from '../../src/store/index.ts';

const [path, stepsText] = process.argv.slice(2);
const store = RunStore.open(path!);
const id = store.createRun({ config: { writer: 'child' }, seed: 2, name: 'child' });
const untilKilled = stepsText === 'until-killed';
const steps = untilKilled ? Infinity : Number(stepsText);
for (let step = 0; step < steps; step++) {
  store.appendMetrics(id, { step, epoch: Math.floor(step / 10), train_loss: 1 / (step + 1), wall_time: step });
  if (untilKilled && step === 50) process.send!({ id, ready: true });
}
store.finishRun(id, { status: 'finished', final: { train_loss: 1 / steps } });
store.close();
process.send!({ id });
