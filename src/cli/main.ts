// Entry of the `sgdlab` command: one sub-command per file in this folder, each thin over a module.
// Errors that users cause print as one line (no stack trace) and set a non-zero exit code.

import { Command, CommanderError, Help } from 'commander';
import { CommandStopped, isUserError } from './errors.ts';
import { printable } from '../util/printable.ts';
import { describeProvenance, provenance } from '../util/provenance.ts';

type Register = (program: Command) => void;

/**
 * The sub-commands: what `sgdlab --help` says of each, and its module (exporting `register(program)`).
 * `sgdlab` loads only the module of the command being run: each pulls in what its command needs (ONNX
 * Runtime, SQLite, vega, BullMQ), and loading them all cost seconds before `--version` could answer.
 */
const COMMANDS: Record<string, { summary: string; load: () => Promise<{ register: Register }> }> = {
  train: { summary: 'train one model the way the paper does, recording the run in the store', load: () => import('./train.ts') },
  runs: { summary: 'list and inspect recorded runs', load: () => import('./runs.ts') },
  demo: { summary: 'small learning rate vs. small rate + explicit regularizer vs. large learning rate, on digits', load: () => import('./demo.ts') },
  export: { summary: 'write a trained network as a plain ONNX inference graph (input "input", output "logits")', load: () => import('./export.ts') },
  data: { summary: 'data sets', load: () => import('./data.ts') },
  verify: {
    summary: 'check the backward error analysis numerically in float64: modified flows of GD and SGD, reversal, n-step SGD, Appendix A, where it breaks, heavy-ball and Nesterov momentum, Adam and RMSProp (docs/theory.md)',
    load: () => import('./verify.ts'),
  },
  report: { summary: "the paper's figures (Fig. 1–5, 7) from sweeps: SVG, PNG and one self-contained HTML page", load: () => import('./report.ts') },
  sweep: { summary: "run a grid of training runs the paper's way (7 seeds, mean of the best 5) and aggregate it", load: () => import('./sweep.ts') },
  worker: { summary: 'take trials of sweeps from a BullMQ queue on Redis and train them (run one per machine, or one per core with --concurrency)', load: () => import('./worker.ts') },
  playground: { summary: "serve the browser playground (the paper's comparison, live; theory checks; exports) on 127.0.0.1", load: () => import('./playground.ts') },
};

/** The sub-command argv names (`sgdlab train …`, `sgdlab help train`), if any. */
export function commandNamed(args: readonly string[]): string | undefined {
  const words = args.filter((a) => !a.startsWith('-'));
  const name = words[0] === 'help' ? words[1] : words[0];
  return name !== undefined && Object.hasOwn(COMMANDS, name) ? name : undefined;
}

/**
 * The `sgdlab` command tree: the sub-commands `defined` says yes to in full (all of them by default;
 * tests walk the whole tree), the others by name and summary only, for the help listing.
 */
export async function buildProgram(defined: (name: string) => boolean = () => true): Promise<Command> {
  const program = new Command('sgdlab')
    .description('A laboratory for the implicit regularization of SGD (Smith, Dherin, Barrett & De, ICLR 2021)')
    .exitOverride()
    // Defaults read "(default 3)" everywhere, as the hand-written ones in the option texts do.
    .configureHelp({ optionDescription: (option) => new Help().optionDescription(option).replace(/\(default: "?([^")]*)"?\)/, '(default $1)') })
    // The facts a run records (git is asked only when the flag is given).
    .option('-V, --version', 'print the sgdlab version and the facts every run records (git commit, Node, ONNX Runtime, CPU)')
    .on('option:version', () => {
      process.stdout.write(`${describeProvenance(provenance()).join('\n')}\n`);
      throw new CommanderError(0, 'sgdlab.version', '');
    });
  for (const [name, { summary, load }] of Object.entries(COMMANDS)) {
    if (defined(name)) (await load()).register(program);
    else program.command(name);
    program.commands.at(-1)!.description(summary);
  }
  return program;
}

export async function main(argv: string[]): Promise<number> {
  const named = commandNamed(argv.slice(2));
  const program = await buildProgram((name) => name === named);
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
