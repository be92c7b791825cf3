// bench:conv — the WRNs' 3×3 convolutions layer by layer, sgdlab against PyTorch (see conv-layers.ts).
//
//   npm run bench:conv [-- --threads 2]

import { compareConvLayers, convLayersTable } from './conv-layers.ts';
import { parseArgs } from './lib.ts';
import { findTorchPython } from './peers.ts';

const { threads } = parseArgs(process.argv.slice(2));
const torch = findTorchPython();
const { rows, note } = await compareConvLayers(torch.python, threads);
console.log(`${torch.python ? note : torch.note}; ${threads} threads; median ms of one call\n`);
console.log(convLayersTable(rows));
