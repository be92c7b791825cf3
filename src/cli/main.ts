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

/** The `sgdlab` command tree with every sub-command registered (tests walk it). */
export async function buildProgram(): Promise<Command> {
  const program = new Command('sgdlab')
    .description('A laboratory for the implicit regularization of SGD (Smith, Dherin, Barrett & De, ICLR 2021)')
    .exitOverride()
    // The facts a run records (git is asked only when the flag is given).
    .option('-V, --version', 'print the sgdlab version and the facts every run records (git commit, Node, ONNX Runtime, CPU)')
    .on('option:version', () => {
      process.stdout.write(`${describeProvenance(provenance()).join('\n')}\n`);
      throw new CommanderError(0, 'sgdlab.version', '');
    });
  for (const load of Object.values(COMMANDS)) (await load()).register(program);
  return program;
}

export async function main(argv: string[]): Promise<number> {
  const program = await buildProgram();
  const refusal = captureCommanderErrors(program);
  try {
    await program.parseAsync(argv);
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) {
      // --help and --version end here with status 0; everything else commander refuses is bad input.
      if (e.exitCode === 0) return 0;
      process.stderr.write(`sgdlab: ${printable(refusal.line(e))}\n`);
      return 2;
    }
    if (e instanceof CommandStopped) {
      process.stderr.write(`sgdlab: ${printable(e.message)}\n`);
      return e.exitCode;
    }
    if (isUserError(e)) {
      process.stderr.write(`sgdlab: ${printable(e.message.split('\n')[0]!)}\n`);
      return 2;
    }
    throw e;
  }
}

/** The full name of a (sub-)command as typed: "sweep run". */
function commandPath(command: Command): string {
  const names: string[] = [];
  for (let c: Command | null = command; c?.parent; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

/**
 * Keep commander's own messages (unknown option or command, missing value or argument, a command
 * without its sub-command) off stderr and remember which command refused what, so that main prints
 * them like every other bad input: one `sgdlab: <what>: <why>` line, exit 2.
 */
function captureCommanderErrors(program: Command): { line: (e: CommanderError) => string } {
  let last: { command: Command; message: string } | undefined;
  const visit = (command: Command): void => {
    command.configureOutput({
      // Only the help that a command missing its sub-command prints as an error comes here.
      writeErr: () => {
        last = { command, message: `missing command (one of ${command.commands.map((c) => c.name()).join(', ')})` };
      },
      outputError: (message) => {
        last = { command, message };
      },
    });
    command.commands.forEach(visit);
  };
  visit(program);
  return {
    line: (e) => {
      const command = last?.command ?? program;
      const path = commandPath(command);
      const why = (last?.message ?? e.message).replace(/^error: /, '').replace(/\s*\n\s*/g, ' ').trim();
      last = undefined;
      return `${path ? `${path}: ` : ''}${why} (see sgdlab ${path ? `${path} ` : ''}--help)`;
    },
  };
}
