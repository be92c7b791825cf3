// bench:engine — the ORT MatMul peak and the compiled MLP training steps (plain, modified exact and
// finite-difference; single call and K-step Loop) in ms/step, GFLOP/s and fraction of the peak.

import { cpuInfo, engineJson, engineTable, parseArgs, runEngine } from './lib.ts';

const args = parseArgs(process.argv.slice(2));
const log = args.json ? () => {} : (s: string) => process.stderr.write(`${s}\n`);
const cpu = cpuInfo();
log(`${cpu.model}, ${cpu.cores} cores; ${args.threads} ORT threads${args.quick ? ' (quick)' : ''}`);
const result = await runEngine(args, log);
if (args.json) {
  process.stdout.write(`${JSON.stringify(engineJson(result))}\n`);
} else {
  console.log(`\nMatMul 2048×2048 float32: ${result.matmulMs.toFixed(1)} ms, peak ${result.matmulPeakGflops.toFixed(1)} GFLOP/s (best call ${result.matmulBestGflops.toFixed(1)}; ${result.threads} threads; other processes used ${result.matmulForeignLoad.toFixed(2)} cores)\n`);
  console.log(engineTable(result));
  console.log('\nFLOPs: matmul FLOPs only; plain = 3F − F1, fd = 2·plain, exact = 3·plain (see bench/lib.ts); traced = matmuls in the traced graph.');
}
