// The compiler without a runtime: symbolic tensors, transformations, lowering to ONNX model bytes.
// No Node modules, so that a browser (onnxruntime-web) can use it; index.ts adds the ORT session.

import './registry.ts'; // installs the primitive rules that every traced operation checks against
export { Tensor, constant, placeholder, zerosLike, onesLike, type HostArray, type TensorLike } from './tensor.ts';
export { grad, valueAndGrad, vjp, jvp, hvp, vdot, backward } from './autodiff.ts';
export { spec, TensorSpec, type Traced } from './trace.ts';
export { HostTensor, type HostTree, type HostOf } from './host.ts';
export type { CompileOptions, GraphOptimization, RuntimeOptions, TargetName } from './options.ts';
export type { LoopStep, LoopSpecs } from './loop.ts';
export { lowerFunction, type LoweredProgram } from './program.ts';
export { lowerLoop } from './loop.ts';
export * from './ops.ts';
export { flatten, type Tree } from './pytree.ts';
export { GraphError, type DType, type FloatDType, type Shape, isFloat } from './types.ts';
export { printProgram } from './print.ts';
