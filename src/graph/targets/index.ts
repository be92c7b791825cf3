// The targets a compilation can lower for, by name (one folder each), and how a compilation's options
// choose one: explicitly, or the target declared for the execution provider, else the reference lowering.

import { GraphError } from '../types.ts';
import { ORT_CPU } from './ort-cpu/index.ts';
import { REFERENCE } from './reference/index.ts';
import type { ProbeRuntime, Target, TargetDefinition } from './target.ts';

export type { DeferredCarry, DeferredLoop, ProbeRuntime, Target, TargetDefinition } from './target.ts';

/** Every target. A new one is a folder beside these, an entry here, and a row in test/graph/targets/targets.test.ts. */
export const TARGETS = {
  reference: REFERENCE,
  'ort-cpu': ORT_CPU,
} as const;

export type TargetName = keyof typeof TARGETS;
export const TARGET_NAMES = Object.keys(TARGETS) as TargetName[];

type GivenOf<D extends { options(given: never): unknown }> = NonNullable<Parameters<D['options']>[0]>;
/** Each target's own options, under its name (CompileOptions['ort-cpu'], …). */
export type TargetOptionsByName = { [N in TargetName]?: GivenOf<(typeof TARGETS)[N]> };

/** What choosing a target looks at. */
export type TargetChoice = TargetOptionsByName & {
  /** Default: the target declared for the execution provider ('ort-cpu' for 'cpu'), else 'reference'. */
  target?: TargetName;
  /** ONNX Runtime's name for it (cpu, cuda, webgpu, …); default 'cpu'. */
  executionProvider?: string;
};

const isTargetName = (name: unknown): name is TargetName => typeof name === 'string' && Object.hasOwn(TARGETS, name);
const runsOn = (d: { providers: 'any' | readonly string[] }, provider: string): boolean => d.providers === 'any' || d.providers.includes(provider);

/** The target's name for these options: given, or the first declared for the provider, or 'reference'. */
export function targetName(options: TargetChoice): TargetName {
  const provider = options.executionProvider ?? 'cpu';
  const name = options.target ?? TARGET_NAMES.find((n) => TARGETS[n].providers !== 'any' && runsOn(TARGETS[n], provider)) ?? 'reference';
  if (!isTargetName(name)) throw new GraphError(`compile: unknown target '${String(name)}' (known: ${TARGET_NAMES.join(', ')})`);
  if (!runsOn(TARGETS[name], provider)) {
    throw new GraphError(`compile: target '${name}' runs on the ${(TARGETS[name].providers as readonly string[]).join(', ')} execution provider only, not on '${provider}'`);
  }
  return name;
}

/** Whether a lowered program of this target may run on this provider (session.ts checks before opening it). */
export const targetRunsOn = (name: string, provider: string): boolean => isTargetName(name) && runsOn(TARGETS[name], provider);

/**
 * The target for these options. With `run` (a session on the runtime where the program will run),
 * the target first probes what it needs to know; without, it lowers as if it found nothing.
 */
export async function prepareTarget(options: TargetChoice, run?: ProbeRuntime): Promise<Target> {
  const name = targetName(options);
  const d = TARGETS[name] as TargetDefinition<unknown, unknown, unknown>;
  const o = d.options(options[name]);
  return d.create(o, run && d.probe ? await d.probe(o, run) : undefined);
}

/** The target for these options without asking a runtime (tracing and lowering alone). */
export function targetWithoutRuntime(options: TargetChoice): Target {
  const name = targetName(options);
  const d = TARGETS[name] as TargetDefinition<unknown, unknown, unknown>;
  return d.create(d.options(options[name]), undefined);
}
