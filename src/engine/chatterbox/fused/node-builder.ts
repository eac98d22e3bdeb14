// Appends default-domain nodes to a graph under construction, with constants collected as initializers of the main
// graph (a loop body reads them from the outer scope). Every value it names starts with `fused/`, a prefix the
// wrapped graphs do not use, so the names never collide with theirs.
import { ELEMENT_TYPE, type NodeProto, type TensorProto } from './onnx-proto-io.js';

/** Attribute values the fused graph needs: ints, tagged floats, int lists, a subgraph. */
type AttributeValue = number | { float: number } | readonly number[] | { graph: unknown };

/** Builds nodes for one graph scope; constants go to a shared list for the main graph. */
export class NodeBuilder {
  readonly nodes: NodeProto[] = [];
  private count = 0;

  constructor(
    /** The default-domain opset of the model being built (decides how reductions take their axes). */
    readonly opset: number,
    /** Where constants go: the main graph's initializers, shared by every scope. */
    readonly constants: TensorProto[],
    private readonly prefix: string,
    private readonly constantNames: Map<string, string> = new Map(),
  ) {}

  /** A builder for a nested graph (a loop body) sharing this one's constants. */
  nested(prefix: string): NodeBuilder {
    return new NodeBuilder(this.opset, this.constants, prefix, this.constantNames);
  }

  /** A fresh value name. */
  name(hint: string): string {
    return `fused/${this.prefix}${hint}_${this.count++}`;
  }

  /** Adds a node; returns its output names (`outputs` are given names or a count). */
  node(opType: string, inputs: readonly string[], attributes: Record<string, AttributeValue> = {}, outputs: number | readonly string[] = 1): string[] {
    const names = typeof outputs === 'number' ? Array.from({ length: outputs }, () => this.name(opType)) : [...outputs];
    this.nodes.push({
      name: this.name(`${opType}_node`),
      opType,
      domain: '',
      input: [...inputs],
      output: names,
      attribute: Object.entries(attributes).map(([name, value]) => attribute(name, value)),
    });
    return names;
  }

  /** A one-output node. */
  op(opType: string, inputs: readonly string[], attributes: Record<string, AttributeValue> = {}, output?: string): string {
    return this.node(opType, inputs, attributes, output === undefined ? 1 : [output])[0]!;
  }

  /** A reduction over `axes`, keeping them as size 1 unless `keepdims` is 0 (axes moved from attribute to input in opset 18, 13 for ReduceSum). */
  reduce(opType: 'ReduceMax' | 'ReduceMin' | 'ReduceSum', x: string, axes: readonly number[], keepdims = 1): string {
    const asInput = this.opset >= 18 || (opType === 'ReduceSum' && this.opset >= 13);
    return asInput ? this.op(opType, [x, this.i64(axes)], { keepdims }) : this.op(opType, [x], { axes, keepdims });
  }

  /** Cast to an element type by name. */
  cast(x: string, to: keyof typeof ELEMENT_TYPE): string {
    return this.op('Cast', [x], { to: ELEMENT_TYPE[to] });
  }

  /** int64 constant: a scalar for a number, 1-D for a list. */
  i64(values: number | readonly number[]): string {
    const list = typeof values === 'number' ? [values] : values;
    return this.constant('int64', typeof values === 'number' ? [] : [list.length], list, () => {
      const data = new BigInt64Array(list.length);
      list.forEach((v, i) => (data[i] = BigInt(v)));
      return new Uint8Array(data.buffer);
    });
  }

  /** float32 constant (scalar or 1-D). */
  f32(values: number | readonly number[]): string {
    const list = typeof values === 'number' ? [values] : values;
    return this.constant('float32', typeof values === 'number' ? [] : [list.length], list, () => new Uint8Array(Float32Array.from(list).buffer));
  }

  /** float64 constant (scalar or 1-D). */
  f64(values: number | readonly number[]): string {
    const list = typeof values === 'number' ? [values] : values;
    return this.constant('float64', typeof values === 'number' ? [] : [list.length], list, () => new Uint8Array(Float64Array.from(list).buffer));
  }

  /** bool constant (scalar or 1-D). */
  bool(values: boolean | readonly boolean[]): string {
    const list = typeof values === 'boolean' ? [values] : values;
    return this.constant('bool', typeof values === 'boolean' ? [] : [list.length], list.map(Number), () => Uint8Array.from(list, Number));
  }

  /** A constant tensor with explicit dims and raw bytes (not shared). */
  tensor(hint: string, type: keyof typeof ELEMENT_TYPE, dims: readonly number[], bytes: Uint8Array): string {
    const name = this.name(hint);
    this.constants.push({ name, dims: [...dims], dataType: ELEMENT_TYPE[type], rawData: bytes });
    return name;
  }

  private constant(type: keyof typeof ELEMENT_TYPE, dims: readonly number[], values: readonly number[], bytes: () => Uint8Array): string {
    const key = `${type}|${dims.join(',')}|${values.join(',')}`;
    const existing = this.constantNames.get(key);
    if (existing !== undefined) return existing;
    const name = `fused/const_${this.constantNames.size}`;
    this.constants.push({ name, dims: [...dims], dataType: ELEMENT_TYPE[type], rawData: bytes() });
    this.constantNames.set(key, name);
    return name;
  }
}

function attribute(name: string, value: AttributeValue): Record<string, unknown> {
  const INT = 2;
  const FLOAT = 1;
  const GRAPH = 5;
  const INTS = 7;
  if (typeof value === 'number') return { name, type: INT, i: value };
  if (Array.isArray(value)) return { name, type: INTS, ints: [...value] };
  if ('float' in value) return { name, type: FLOAT, f: value.float };
  return { name, type: GRAPH, g: (value as { graph: unknown }).graph };
}
