// bench:conv — the WRNs' 3×3 convolutions layer by layer, sgdlab against PyTorch (see conv-layers.ts).
//
//   npm run bench:conv [-- --threads 2]

import { compareConvLayers, convLayersTable } from './conv-layers.ts';
import { findTorchPython } from './peers.ts';

const i = process.argv.indexOf('--threads');
const threads = i >= 0 ? Number(process.argv[i + 1]) : 2;
if (!Number.isInteger(threads) || threads < 1) throw new Error(`--threads: expected a positive integer, got '${process.argv[i + 1]}'`);
const torch = findTorchPython();
const { rows, note } = await compareConvLayers(torch.python, threads);
console.log(`${torch.python ? note : torch.note}; ${threads} threads; median ms of one call\n`);
console.log(convLayersTable(rows));
