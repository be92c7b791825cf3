// The CLI contract for commander's own refusals (src/cli/main.ts): every sub-command, given an unknown
// flag, a flag without its value, or a missing (or surplus) argument, exits 2 with exactly one
// `sgdlab: <command>: <why>` line and nothing on stdout. The command tree is walked, so a new
// sub-command is covered without being listed here.

import { test } from 'node:test';
import { spawnSync } from 'node:child_process';
import assert from 'node:assert/strict';
import type { Command } from 'commander';
import { buildProgram, main } from '../../src/cli/main.ts';
import { UserError, isUserError } from '../../src/cli/errors.ts';
import { ReportInputError, TheoryJsonError } from '../../src/report/index.ts';
import { StoreError } from '../../src/store/index.ts';
import { DataError } from '../../src/data/index.ts';
import { SpecError, QueueError } from '../../src/sweep/index.ts';
import { ConfigError } from '../../src/train/index.ts';
import { GraphError } from '../../src/graph/types.ts';
import { ModelSpecError } from '../../src/nn/index.ts';
import { sgdlab } from '../sgdlab-cli.ts';

type Outcome = { code: number; stdout: string; stderr: string };

/** Run main on each argument list in one child process (main-contract.fixture.ts). */
function runMainAll(cases: string[][]): Outcome[] {
  const fixture = new URL('./main-contract.fixture.ts', import.meta.url).pathname;
  const r = spawnSync(process.execPath, ['--import', 'tsx', fixture, JSON.stringify(cases)], { encoding: 'utf8', maxBuffer: 64 << 20 });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout) as Outcome[];
}

function assertOneLine(r: { code: number; stdout: string; stderr: string }, message: RegExp, what: string): void {
  assert.equal(r.code, 2, `${what}: exit ${r.code}, stderr ${JSON.stringify(r.stderr)}`);
  assert.equal(r.stdout, '', `${what}: nothing on stdout`);
  assert.equal(r.stderr.match(/^sgdlab: /gm)?.length, 1, `${what}: exactly one sgdlab: line in ${JSON.stringify(r.stderr)}`);
  assert.match(r.stderr, /^sgdlab: [^\n]+\n$/, `${what}: one line, nothing else`);
  assert.match(r.stderr, message, what);
}

function leaves(command: Command, path: string[] = []): { command: Command; path: string[] }[] {
  if (command.commands.length === 0) return [{ command, path }];
  return command.commands.flatMap((c) => leaves(c, [...path, c.name()]));
}

const program = await buildProgram();
const commands = leaves(program);

test('the walk finds every sub-command', () => {
  const names = commands.map((c) => c.path.join(' '));
  for (const expected of ['train', 'runs list', 'runs show', 'sweep run', 'sweep import', 'sweep export', 'report', 'verify', 'export', 'playground', 'worker']) {
    assert.ok(names.includes(expected), `${expected} in ${names.join(', ')}`);
  }
});

/** Each case: the arguments, the one line expected, and what it tests. */
const cases: { args: string[]; message: RegExp; what: string }[] = [];
for (const { command, path } of commands) {
  const name = path.join(' ');
  const required = command.registeredArguments.filter((a) => a.required);
  // Placeholders for the required arguments, so that only the flag is wrong.
  const args = required.map((a) => `${a.name()}-value`);
  // Mandatory options get a value too (commander checks them after unknown flags).
  const mandatory = command.options.filter((o) => o.mandatory).flatMap((o) => [o.long!, 'value']);
  const add = (extra: string[], message: string, what: string) => cases.push({ args: [...path, ...extra], message: new RegExp(`^sgdlab: ${name}: ${message}`), what: `${name} ${what}` });

  add([...args, ...mandatory, '--no-such-flag'], "unknown option '--no-such-flag'", 'unknown flag');
  const withValue = command.options.find((o) => o.required && !o.mandatory);
  if (withValue) add([...args, ...mandatory, withValue.long!], `option '${escape(withValue.flags)}' argument missing`, 'missing value');
  const mandatoryOption = command.options.find((o) => o.mandatory);
  if (mandatoryOption) add(args, `required option '${escape(mandatoryOption.flags)}' not specified`, 'missing required option');
  if (required.length > 0) add(mandatory, `missing required argument '${required[0]!.name()}'`, 'missing argument');
  // A command that takes no arguments refuses a surplus one; one whose only argument is an
  // optional list (verify [checks...]) takes any words, and validates them itself.
  else if (command.registeredArguments.length === 0) add(['surplus'], 'too many arguments', 'surplus argument');
}
cases.push(
  { args: ['trian'], message: /^sgdlab: unknown command 'trian' \(Did you mean train\?\)/, what: 'unknown command' },
  { args: ['-v'], message: /^sgdlab: unknown option '-v'/, what: '-v' },
  { args: ['runs'], message: /^sgdlab: runs: missing command \(one of list, show\)/, what: 'runs without its sub-command' },
  { args: [], message: /^sgdlab: missing command \(one of train, runs, /, what: 'no command' },
);

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

test('every sub-command: an unknown flag, a flag without its value, a missing or surplus argument exit 2 with one line', () => {
  const outcomes = runMainAll(cases.map((c) => c.args));
  cases.forEach((c, i) => assertOneLine(outcomes[i]!, c.message, c.what));
  // Every leaf was tried with at least an unknown flag and a missing value or argument.
  for (const { path } of commands) assert.ok(cases.filter((c) => c.what.startsWith(`${path.join(' ')} `)).length >= 2, path.join(' '));
});

test('--help still prints help on stdout and exits 0', () => {
  const [r] = runMainAll([['sweep', 'run', '--help']]);
  assert.equal(r!.code, 0);
  assert.match(r!.stdout, /^Usage: sgdlab sweep run \[options\] <spec>/);
});

test('end to end, the bin sets the exit status: unknown flag and -v exit 2', async () => {
  for (const args of [['-v'], ['runs', 'list', '--bogus']]) {
    const r = await sgdlab(args);
    assertOneLine(r, /^sgdlab: /, args.join(' '));
  }
});

test('errors are classified by the UserError base class, not by name', () => {
  class SomeNewInputError extends UserError {}
  assert.ok(isUserError(new SomeNewInputError('x')));
  const impostor = new Error('x');
  impostor.name = 'UsageError';
  assert.ok(!isUserError(impostor), 'a plain Error named like a user error is a bug, with its stack trace');
  assert.equal(new SomeNewInputError('a\n  b').message, 'a b', 'one line');
  // Every input error class of the tree, including report input and theory JSON (once stack traces).
  for (const Class of [ReportInputError, TheoryJsonError, StoreError, DataError, SpecError, QueueError, ConfigError, GraphError, ModelSpecError]) {
    const e = new Class('bad input');
    assert.ok(isUserError(e), Class.name);
    assert.equal(e.name, Class.name, 'named after its class');
  }
});
