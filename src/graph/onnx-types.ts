// The ONNX messages sgdlab builds, as plain object types: the fields it writes and reads, nothing more.
// onnx-proto's own declarations need a global `Long` type, so the public .d.ts files name these instead.

/** onnx.AttributeProto: one attribute of a node (INT, INTS, FLOAT, STRING or GRAPH here). */
export interface AttributeProto {
  name?: string | null;
  type?: number | null;
  i?: number | null;
  ints?: number[] | null;
  f?: number | null;
  floats?: number[] | null;
  s?: Uint8Array | null;
  g?: GraphProto | null;
}

/** onnx.NodeProto: one operator application. */
export interface NodeProto {
  name?: string | null;
  opType?: string | null;
  domain?: string | null;
  input?: string[] | null;
  output?: string[] | null;
  attribute?: AttributeProto[] | null;
  docString?: string | null;
}

/** onnx.TensorProto: a constant, as little-endian raw bytes. */
export interface TensorProto {
  name?: string | null;
  dataType?: number | null;
  dims?: number[] | null;
  rawData?: Uint8Array | null;
}

/** onnx.ValueInfoProto: a graph input or output with its element type and static shape. */
export interface ValueInfoProto {
  name?: string | null;
  type?: { tensorType?: { elemType?: number | null; shape?: { dim?: { dimValue?: number | null; dimParam?: string | null }[] | null } | null } | null } | null;
}

/** onnx.GraphProto: a graph (the model's, or a Loop body). */
export interface GraphProto {
  name?: string | null;
  node?: NodeProto[] | null;
  input?: ValueInfoProto[] | null;
  output?: ValueInfoProto[] | null;
  initializer?: TensorProto[] | null;
  valueInfo?: ValueInfoProto[] | null;
  docString?: string | null;
}
