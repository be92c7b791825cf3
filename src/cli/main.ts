// Entry of the `sgdlab` command: one sub-command per file in this folder, each thin over a module.
// Errors that users cause print as one line (no stack trace) and set a non-zero exit code.

import { Command, CommanderError } from 'commander';
import { CommandStopped, isUserError } from './errors.ts';
import { printable } from '../util/printable.ts';
import { describeProvenance, provenance } from '../util/provenance.ts';

type Register = (program: Command) => void;

/** Sub-command modules; each exports `register(program)`. Loaded lazily so `--help` stays fast. */
const COMMANDS: Record<string, () => Promise<{ register: Register }>> = {
  train: () => import('./train.ts'),
  runs: () => import('./runs.ts'),
  demo: () => import('./demo.ts'),
  export: () => import('./export.ts'),
  data: () => import('./data.ts'),
  verify: () => import('./verify.ts'),
  report: () => import('./report.ts'),
  sweep: () => import('./sweep.ts'),
  worker: () => import('./worker.ts'),
  playground: () => import('./playground.ts'),
};

export async function main(argv: string[]): Promise<number> {
  const program = new Command('sgdlab')
    .description('A laboratory for the implicit regularization of SGD (Smith, Dherin, Barrett & De, ICLR 2021)')
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) })
    // The facts a run records (git is asked only when the flag is given).
    .option('-V, --version', 'print the sgdlab version and the facts every run records (git commit, Node, ONNX Runtime, CPU)')
    .on('option:version', () => {
      process.stdout.write(`${describeProvenance(provenance()).join('\n')}\n`);
      throw new CommanderError(0, 'sgdlab.version', '');
    });
  for (const load of Object.values(COMMANDS)) (await load()).register(program);
  try {
    await program.parseAsync(argv);
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode;
    if (e instanceof CommandStopped) {
      process.stderr.write(`sgdlab: ${printable(e.message)}\n`);
      return e.exitCode;
    }
    if (isUserError(e)) {
      process.stderr.write(`sgdlab: ${printable((e as Error).message.split('\n')[0]!)}\n`);
      return 2;
    }
    throw e;
  }
}
