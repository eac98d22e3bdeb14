// Serialises a GraphBuilder into an ONNX ModelProto with onnx-proto (protobufjs static code). Weights go either inline
// (raw_data) or into `<file>.onnx_data` beside the model, as the real exports ship them; ORT resolves that file
// relative to the model's directory when the session is created from a path.
import { closeSync, openSync, writeFileSync, writeSync } from 'node:fs';
import { basename } from 'node:path';
import onnxProto from 'onnx-proto';

import { MS_DOMAIN } from './onnx-builder.js';
import type { AttributeValue, DataType, GraphBuilder, InitializerSpec, TensorData, ValueSpec } from './onnx-builder.js';

const { onnx } = onnxProto;

/** Opset of the default domain; 17 is the first with LayerNormalization. */
export const DEFAULT_OPSET = 17;

/** How a model file is written. */
export interface WriteModelOptions {
  /** Put every initializer of at least `externalMinBytes` into `<file>_data` (e.g. language_model.onnx_data). */
  externalData: boolean;
  /** Smallest initializer moved out when `externalData` is set (bytes). */
  externalMinBytes?: number;
  /** Free-form metadata_props entries. */
  metadata?: Record<string, string>;
}

/** What was written: sizes of the model file and of its external data file (0 when none). */
export interface WrittenModel {
  modelBytes: number;
  dataBytes: number;
}

type TensorProto = InstanceType<typeof onnx.TensorProto>;

const ELEMENT_TYPE: Record<DataType, number> = { float32: 1, uint8: 2, int64: 7, float16: 10 };
// External tensors start on page boundaries so ORT can map them without copying.
const ALIGN_BYTES = 4096;

/** Writes `graph` to `path` (and `path + '_data'` when weights go external); returns the byte counts. */
export function writeModel(graph: GraphBuilder, path: string, options: WriteModelOptions): WrittenModel {
  const dataPath = `${path}_data`;
  const minBytes = options.externalMinBytes ?? 1024;
  let fd: number | undefined;
  let offset = 0;
  const external = (spec: InitializerSpec, bytes: Uint8Array): TensorProto => {
    fd ??= openSync(dataPath, 'w');
    offset = Math.ceil(offset / ALIGN_BYTES) * ALIGN_BYTES;
    for (let done = 0; done < bytes.byteLength;) {
      done += writeSync(fd, bytes, done, bytes.byteLength - done, offset + done);
    }
    const proto = tensorProto(spec, undefined);
    proto.dataLocation = onnx.TensorProto.DataLocation.EXTERNAL;
    proto.externalData = [
      { key: 'location', value: basename(dataPath) },
      { key: 'offset', value: String(offset) },
      { key: 'length', value: String(bytes.byteLength) },
    ];
    offset += bytes.byteLength;
    return proto;
  };
  let initializer: TensorProto[];
  try {
    initializer = graph.initializers.map((spec) => {
      const bytes = tensorBytes(spec);
      return options.externalData && bytes.byteLength >= minBytes ? external(spec, bytes) : tensorProto(spec, bytes);
    });
  } finally {
    if (fd !== undefined) closeSync(fd);
  }

  const model = onnx.ModelProto.create({
    irVersion: 8,
    producerName: 'chatterbox-stream model-gen',
    producerVersion: '1',
    opsetImport: [
      { domain: '', version: DEFAULT_OPSET },
      { domain: MS_DOMAIN, version: 1 },
    ],
    metadataProps: Object.entries(options.metadata ?? {}).map(([key, value]) => ({ key, value })),
    graph: {
      name: graph.name,
      input: graph.inputs.map(valueInfo),
      output: graph.outputs.map(valueInfo),
      initializer,
      node: graph.nodes.map((node) => ({
        name: node.name,
        opType: node.opType,
        domain: node.domain,
        input: [...node.inputs],
        output: [...node.outputs],
        attribute: Object.entries(node.attributes).map(([name, value]) => attribute(name, value)),
      })),
    },
  });
  const encoded = onnx.ModelProto.encode(model).finish();
  writeFileSync(path, encoded);
  return { modelBytes: encoded.byteLength, dataBytes: fd === undefined ? 0 : offset };
}

function tensorBytes(spec: InitializerSpec): Uint8Array {
  const data: TensorData = typeof spec.data === 'function' ? spec.data() : spec.data;
  const expected = spec.dims.reduce((a, b) => a * b, 1);
  if (data.length !== expected) {
    throw new Error(`tensor data has ${data.length} elements, dims [${spec.dims.join(', ')}] need ${expected}`);
  }
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

function tensorProto(spec: InitializerSpec, bytes: Uint8Array | undefined): TensorProto {
  return onnx.TensorProto.create({
    name: spec.name,
    dims: [...spec.dims],
    dataType: ELEMENT_TYPE[spec.dataType],
    ...(bytes === undefined ? {} : { rawData: bytes }),
  });
}

function valueInfo(value: ValueSpec): Record<string, unknown> {
  return {
    name: value.name,
    type: {
      tensorType: {
        elemType: ELEMENT_TYPE[value.dataType],
        shape: { dim: value.dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
      },
    },
  };
}

function attribute(name: string, value: AttributeValue): Record<string, unknown> {
  const { AttributeType } = onnx.AttributeProto;
  if (typeof value === 'number') return { name, type: AttributeType.INT, i: value };
  if (typeof value === 'string') return { name, type: AttributeType.STRING, s: new TextEncoder().encode(value) };
  if ('float' in value) return { name, type: AttributeType.FLOAT, f: value.float };
  return { name, type: AttributeType.INTS, ints: [...value] };
}
