// Public API of the compiler: symbolic tensors, transformations, compilation to ONNX Runtime.
// Nothing here knows about neural networks.

export { Tensor, constant, placeholder, zerosLike, onesLike, type HostArray, type TensorLike } from './tensor.ts';
export { grad, valueAndGrad, vjp, jvp, hvp, vdot, backward } from './autodiff.ts';
export { compile, compileLoop, jit, spec, TensorSpec, HostTensor, CompiledFunction, type CompileOptions, type LoopStep, type HostTree } from './compile.ts';
export * from './ops.ts';
export { flatten, type Tree } from './pytree.ts';
export { GraphError, type DType, type FloatDType, type Shape, isFloat } from './types.ts';
export { printProgram } from './print.ts';
