// The reference target: plain ONNX, every primitive by its own rule, no passes. Correct on any ONNX
// runtime and execution provider (onnxruntime-web included); the default away from ORT's CPU provider.

import { REFERENCE_LOWERING } from '../../lower.ts';
import { GraphError } from '../../types.ts';
import { noRewrite, type TargetDefinition } from '../target.ts';

/** The reference target takes no options. */
export type ReferenceOptions = Record<string, never>;

export const REFERENCE: TargetDefinition<ReferenceOptions, ReferenceOptions> = {
  summary: 'plain ONNX, every primitive by its own rule: any ONNX runtime and execution provider',
  providers: 'any',
  options(given) {
    const keys = Object.keys(given ?? {});
    if (keys.length > 0) throw new GraphError(`compile: the reference target takes no options, got '${keys[0]}'`);
    return {};
  },
  create: () => ({ name: 'reference', rewrite: noRewrite, deferCarries: null, lowering: REFERENCE_LOWERING }),
};
