// A small graph-building helper: named values, initializers that may be generated lazily (so a 2 GB model never sits
// in memory at once), nodes in the default and com.microsoft domains. onnx-writer.ts turns it into a ModelProto.

/** Element types used by the generated graphs. */
export type DataType = 'float32' | 'float16' | 'int64' | 'uint8';

/** A dimension: a fixed size or a symbolic name such as 'batch_size'. */
export type Dim = number | string;

/** Raw element storage per data type (float16 as raw bits). */
export type TensorData = Float32Array | Uint16Array | BigInt64Array | Uint8Array;

/** An initializer: a named constant tensor, its data possibly produced only when the model is written. */
export interface InitializerSpec {
  name: string;
  dataType: DataType;
  dims: readonly number[];
  data: TensorData | (() => TensorData);
}

/** A graph input or output with its type and (possibly symbolic) shape. */
export interface ValueSpec {
  name: string;
  dataType: DataType;
  dims: readonly Dim[];
}

/** Attribute values: integers, strings, int lists and explicitly tagged floats. */
export type AttributeValue = number | string | readonly number[] | { float: number };

/** One node of the graph. */
export interface NodeSpec {
  name: string;
  opType: string;
  domain: string;
  inputs: readonly string[];
  outputs: readonly string[];
  attributes: Readonly<Record<string, AttributeValue>>;
}

/** Node attributes by name. */
export type Attributes = Record<string, AttributeValue>;

/** Optional parts of a node: output count or names ('' skips one), attributes, domain (default ''). */
export interface NodeOptions {
  outputs?: number | readonly string[];
  attributes?: Attributes;
  domain?: string;
}

/** Marks a float attribute (plain numbers are written as integers). */
export function float(value: number): { float: number } {
  return { float: value };
}

/** The contrib-op domain of onnxruntime. */
export const MS_DOMAIN = 'com.microsoft';

/** Accumulates one ONNX graph; every method returns the names of the values it creates. */
export class GraphBuilder {
  readonly inputs: ValueSpec[] = [];
  readonly outputs: ValueSpec[] = [];
  readonly initializers: InitializerSpec[] = [];
  readonly nodes: NodeSpec[] = [];
  private readonly values = new Set<string>();
  private readonly nodeNames = new Set<string>();
  private readonly constants = new Map<string, string>();
  private scopePrefix = '';

  constructor(readonly name: string) {}

  /** Runs `build` with node and value names prefixed by `prefix/` (for readable graphs). */
  scope<T>(prefix: string, build: () => T): T {
    const saved = this.scopePrefix;
    this.scopePrefix = `${saved}${prefix}/`;
    try {
      return build();
    } finally {
      this.scopePrefix = saved;
    }
  }

  /** Declares a graph input. */
  input(name: string, dataType: DataType, dims: readonly Dim[]): string {
    this.claim(name);
    this.inputs.push({ name, dataType, dims });
    return name;
  }

  /** Declares an already produced value as a graph output. */
  output(name: string, dataType: DataType, dims: readonly Dim[]): void {
    this.outputs.push({ name, dataType, dims });
  }

  /** Adds a weight; `data` may be a function so it is generated only when the model is written. */
  weight(name: string, dataType: DataType, dims: readonly number[], data: InitializerSpec['data']): string {
    this.claim(name);
    this.initializers.push({ name, dataType, dims, data });
    return name;
  }

  /** An int64 constant: a scalar for a number, 1-D for a list; identical constants are shared. */
  i64(values: number | readonly number[]): string {
    const list = typeof values === 'number' ? [values] : values;
    const dims = typeof values === 'number' ? [] : [list.length];
    return this.constant('int64', dims, list, () => BigInt64Array.from(list, (v) => BigInt(v)));
  }

  /** A float32 constant: a scalar for a number, 1-D for a list; identical constants are shared. */
  f32(values: number | readonly number[]): string {
    const list = typeof values === 'number' ? [values] : values;
    const dims = typeof values === 'number' ? [] : [list.length];
    return this.constant('float32', dims, list, () => Float32Array.from(list));
  }

  /** Adds a node and returns its output names (`outputs` may be a count or explicit names; '' skips an output). */
  node(opType: string, inputs: readonly string[], options: NodeOptions = {}): string[] {
    const name = this.fresh(opType);
    const requested = options.outputs ?? 1;
    const outputs =
      typeof requested === 'number' ? Array.from({ length: requested }, (_, i) => (requested === 1 ? `${name}_out` : `${name}_out${i}`)) : [...requested];
    for (const output of outputs) if (output !== '') this.claim(output);
    this.nodes.push({
      name,
      opType,
      domain: options.domain ?? '',
      inputs,
      outputs,
      attributes: options.attributes ?? {},
    });
    return outputs;
  }

  /** A default-domain node with one output. */
  op(opType: string, inputs: readonly string[], attributes: Attributes = {}, output?: string): string {
    return this.node(opType, inputs, { attributes, outputs: output === undefined ? 1 : [output] })[0]!;
  }

  /** A com.microsoft node with one output. */
  ms(opType: string, inputs: readonly string[], attributes: Attributes = {}, output?: string): string {
    const outputs = output === undefined ? 1 : [output];
    return this.node(opType, inputs, { attributes, domain: MS_DOMAIN, outputs })[0]!;
  }

  private constant(dataType: DataType, dims: readonly number[], values: readonly number[], make: () => TensorData) {
    const key = `${dataType}|${dims.join(',')}|${values.join(',')}`;
    const existing = this.constants.get(key);
    if (existing !== undefined) return existing;
    const name = this.fresh(`const_${dataType}`, false);
    this.claim(name);
    this.initializers.push({ name, dataType, dims, data: make() });
    this.constants.set(key, name);
    return name;
  }

  // A name free both as a node name and as the stem of its output values.
  private fresh(base: string, scoped = true): string {
    const stem = scoped ? `${this.scopePrefix}${base}` : base;
    const taken = (c: string): boolean => this.nodeNames.has(c) || this.values.has(c) || this.values.has(`${c}_out`) || this.values.has(`${c}_out0`);
    let candidate = stem;
    for (let i = 1; taken(candidate); i++) candidate = `${stem}_${i}`;
    this.nodeNames.add(candidate);
    return candidate;
  }

  private claim(name: string): void {
    if (this.values.has(name)) throw new Error(`duplicate value name in graph ${this.name}: ${name}`);
    this.values.add(name);
  }
}
