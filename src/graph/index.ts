// Public API of the compiler: symbolic tensors, transformations, compilation to ONNX Runtime.
// Nothing here knows about neural networks.

export * from './core.ts';
export { compile, compileLoop, jit, CompiledFunction } from './session.ts';
export { checkExecutionProvider } from './providers.ts';
