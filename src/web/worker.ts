// The playground's Web Worker: compiles a run's step programs (src/graph, in the browser) and runs
// them on onnxruntime-web, K steps per call, reporting after every call; or runs one theory check.

import { flatten, type HostTensor } from '../graph/index.ts';
import { runVerify } from '../theory/index.ts';
import { PlaygroundEngine, type RunStatus } from './engine.ts';
import { useRuntime } from './ort-runtime.ts';
import type { FromWorker, StartMessage, ToWorker } from './protocol.ts';

const post = (message: FromWorker, transfer: Transferable[] = []) => (self as unknown as Worker).postMessage(message, transfer);

let engine: PlaygroundEngine | undefined;
let paused = false;
let running = false;

/** Give queued messages (pause, parameters) their turn between runtime calls, without a timer's delay. */
function yieldToMessages(): Promise<void> {
  return new Promise((resolve) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = () => resolve();
    channel.port2.postMessage(null);
  });
}

function status(state: RunStatus['state'], extra: Partial<RunStatus> = {}): RunStatus {
  return {
    state,
    steps: engine?.step ?? 0,
    epoch: engine?.epoch ?? 0,
    totalSteps: engine?.totalSteps ?? 0,
    losses: [],
    stepsPerSecond: engine?.stepsPerSecond ?? 0,
    ...extra,
  };
}

async function evaluateAndDraw(e: PlaygroundEngine, plane: StartMessage['data']['plane']): Promise<void> {
  post({ type: 'evaluation', evaluation: await e.evaluate() });
  if (plane) {
    const grid = await e.decisionGrid(plane);
    post({ type: 'grid', grid, step: e.step }, [grid.buffer]);
  }
}

async function loop(e: PlaygroundEngine, plane: StartMessage['data']['plane']): Promise<void> {
  running = true;
  try {
    while (!e.done && !paused) {
      const epochBefore = Math.floor(e.epoch);
      const r = await e.advance();
      const losses = Array.from(r.losses);
      if (r.divergedAtStep !== undefined) {
        post({ type: 'status', status: status('diverged', { divergedAtStep: r.divergedAtStep, losses }) });
        return;
      }
      // Evaluate at every epoch's end, as `sgdlab train --eval-every 1` does.
      if (Math.floor(e.epoch) > epochBefore) await evaluateAndDraw(e, plane);
      post({ type: 'status', status: status(e.done ? 'finished' : 'running', { losses }) });
      await yieldToMessages();
    }
    if (!e.done) post({ type: 'status', status: status('stopped') });
  } finally {
    running = false;
  }
}

let plane: StartMessage['data']['plane'];

async function start(m: StartMessage): Promise<void> {
  const runtime = await useRuntime(m.runtime, m.threads, m.wasmBase);
  post({ type: 'runtime', ...runtime });
  post({ type: 'status', status: status('compiling') });
  plane = m.data.plane;
  engine = await PlaygroundEngine.create(m.shared, m.run, m.data);
  await engine.prepare();
  await evaluateAndDraw(engine, plane);
  // A pause that arrived while compiling holds: the loop reports 'stopped' before its first call.
  await loop(engine, plane);
}

self.onmessage = (event: MessageEvent<ToWorker>) => {
  const m = event.data;
  const fail = (e: unknown) => {
    const message = e instanceof Error ? e.message : String(e);
    post({ type: 'status', status: status('failed', { error: message.split('\n')[0] }) });
  };
  switch (m.type) {
    case 'start':
      start(m).catch(fail);
      break;
    case 'pause':
      paused = true;
      break;
    case 'resume':
      paused = false;
      if (engine && !running && !engine.done) loop(engine, plane).catch(fail);
      break;
    case 'parameters': {
      if (!engine) break;
      const flat = flatten<HostTensor>(engine.parameters);
      const tensors = flat.leaves.map((t, i) => ({ path: flat.paths[i]!, shape: [...t.shape], data: Float32Array.from(t.data as Float32Array) }));
      post({ type: 'parameters', tensors, step: engine.step }, tensors.map((t) => t.data.buffer));
      break;
    }
    case 'theory': {
      const started = performance.now();
      useRuntime('wasm', 1, m.wasmBase)
        .then(() => runVerify({ checks: [m.check], models: [m.model], settings: { epsilonCount: m.epsilonCount } }))
        .then(([result]) => post({ type: 'theory', result: result!, seconds: (performance.now() - started) / 1000 }))
        .catch((e: unknown) => post({ type: 'error', message: (e instanceof Error ? e.message : String(e)).split('\n')[0]! }));
      break;
    }
  }
};
