// The rule table: one entry per primitive, gathered from the family modules. Its type is a
// mapped type over every primitive name, so `tsc` rejects a primitive that has no rule. Loading
// this module installs the table into tensor.ts, whose `bind` checks every node with it.

import type { RuleTable } from './primitives.ts';
import type { PrimitiveName } from './primitive-params.ts';
import { elementwiseRules } from './prims/elementwise.ts';
import { reduceRules } from './prims/reduce.ts';
import { shapeRules } from './prims/shape.ts';
import { linalgRules } from './prims/linalg.ts';
import { convRules } from './prims/conv.ts';
import { softmaxRules } from './prims/softmax.ts';
import { installRules } from './tensor.ts';

export const rules: RuleTable<PrimitiveName> = {
  ...elementwiseRules,
  ...reduceRules,
  ...shapeRules,
  ...linalgRules,
  ...convRules,
  ...softmaxRules,
};
installRules(rules);
