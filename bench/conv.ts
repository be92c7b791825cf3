// bench:conv — the WRNs' 3×3 convolutions layer by layer, sgdlab against PyTorch (see conv-layers.ts).
//
//   npm run bench:conv [-- --threads 2]

import { table } from './lib.ts';
import { WRN_CONV_LAYERS, layerGflop, layerName, pytorchConvLayers, sgdlabConvLayer } from './conv-layers.ts';
import { findTorchPython } from './peers.ts';

const i = process.argv.indexOf('--threads');
const threads = i >= 0 ? Number(process.argv[i + 1]) : 2;
if (!Number.isInteger(threads) || threads < 1) throw new Error(`--threads: expected a positive integer, got '${process.argv[i + 1]}'`);
const torch = findTorchPython();
const theirs = torch.python ? pytorchConvLayers(torch.python, WRN_CONV_LAYERS, threads) : { layers: null, note: torch.note };
console.log(`${theirs.note}; ${threads} threads; median ms of forward / input gradient / weight gradient\n`);
const rows: string[][] = [];
for (const [k, l] of WRN_CONV_LAYERS.entries()) {
  const s = await sgdlabConvLayer(l, threads);
  const p = theirs.layers?.[k];
  const cell = (a: number, b?: number) => `${a.toFixed(2)}${b ? ` (${(a / b).toFixed(2)}×)` : ''}`;
  rows.push([`${l.model} ${layerName(l)}`, layerGflop(l).toFixed(2), cell(s.forward, p?.forward), p?.forward.toFixed(2) ?? '—', cell(s.inputGrad, p?.inputGrad), p?.inputGrad.toFixed(2) ?? '—', cell(s.weightGrad, p?.weightGrad), p?.weightGrad.toFixed(2) ?? '—']);
}
console.log(table(['layer', 'GFLOP', 'sgdlab fwd', 'PyTorch fwd', 'sgdlab ∂x', 'PyTorch ∂x', 'sgdlab ∂w', 'PyTorch ∂w'], rows));
