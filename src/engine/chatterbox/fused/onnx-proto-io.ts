// Reads and writes ONNX model files with the protobuf schema (onnx-proto), and reads a graph's signature without
// creating a session, so the fused decode graph can be built before any language-model weights are loaded.
import { readFileSync, writeFileSync } from 'node:fs';
import onnxProto from 'onnx-proto';
import type { GraphSignature } from '../../onnx/signature.js';

export const { onnx } = onnxProto;
export type ModelProto = InstanceType<typeof onnx.ModelProto>;
export type GraphProto = onnxProto.onnx.IGraphProto;
export type NodeProto = onnxProto.onnx.INodeProto;
export type TensorProto = onnxProto.onnx.ITensorProto;
export type ValueInfoProto = onnxProto.onnx.IValueInfoProto;

/** ONNX element type codes by the names onnxruntime-node uses. */
export const ELEMENT_TYPE = { float32: 1, uint8: 2, int32: 6, int64: 7, bool: 9, float16: 10, float64: 11 } as const;
export type ElementTypeName = keyof typeof ELEMENT_TYPE;

const TYPE_NAMES = new Map<number, string>(Object.entries(ELEMENT_TYPE).map(([name, code]) => [code, name]));

/** A protobuf int64 (number or Long) as a number. */
export function toNumber(value: unknown): number {
  return typeof value === 'number' ? value : Number(String(value));
}

/** Parses an ONNX file (its weights may live in external data files, which stay untouched). */
export function readModelFile(path: string): ModelProto {
  return onnx.ModelProto.decode(readFileSync(path));
}

/** Serialises a model to `path`. */
export function writeModelFile(model: ModelProto, path: string): void {
  writeFileSync(path, onnx.ModelProto.encode(model).finish());
}

/** The opset a model imports for `domain` ('' is the default domain), or undefined. */
export function opsetOf(model: ModelProto, domain: string): number | undefined {
  const entry = model.opsetImport.find((o) => (o.domain ?? '') === domain);
  return entry ? toNumber(entry.version) : undefined;
}

function metadataOf(value: ValueInfoProto): GraphSignature['inputs'][number] {
  const tensor = value.type?.tensorType;
  const shape = (tensor?.shape?.dim ?? []).map((d) =>
    d.dimValue !== undefined && d.dimValue !== null && toNumber(d.dimValue) > 0 ? toNumber(d.dimValue) : d.dimParam || '?',
  );
  return {
    name: value.name ?? '',
    isTensor: true,
    type: TYPE_NAMES.get(tensor?.elemType ?? 0) ?? `onnx-type-${tensor?.elemType}`,
    shape,
  } as GraphSignature['inputs'][number];
}

/** A graph's inputs (initializers excluded) and outputs in the form onnxruntime-node's session metadata takes. */
export function signatureOfGraph(graph: GraphProto): GraphSignature {
  const initializers = new Set((graph.initializer ?? []).map((t) => t.name));
  return {
    inputs: (graph.input ?? []).filter((v) => !initializers.has(v.name)).map(metadataOf),
    outputs: (graph.output ?? []).map(metadataOf),
  };
}

/** A value-info with a known rank and unknown dims (what loop bodies need: the shapes change per iteration). */
export function valueInfo(name: string, type: ElementTypeName, rank: number): ValueInfoProto {
  return { name, type: { tensorType: { elemType: ELEMENT_TYPE[type], shape: { dim: Array.from({ length: rank }, () => ({})) } } } };
}

/** A value-info with named or fixed dims (graph inputs and outputs of the fused model). */
export function valueInfoWithDims(name: string, type: ElementTypeName, dims: ReadonlyArray<number | string>): ValueInfoProto {
  const dim = dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d }));
  return { name, type: { tensorType: { elemType: ELEMENT_TYPE[type], shape: { dim } } } };
}
