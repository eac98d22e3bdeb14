// Renames values inside an ONNX graph and its subgraphs, so two exported graphs can live in one model without their
// names colliding.
import type { GraphProto, NodeProto } from './onnx-proto-io.js';

/** Rewrites every value name in `graph` (recursively) through `rename`; '' (an omitted optional input) stays ''. */
export function renameValues(graph: GraphProto, rename: (name: string) => string): void {
  const map = (name: string | null | undefined) => (name ? rename(name) : (name ?? ''));
  for (const value of [...(graph.input ?? []), ...(graph.output ?? []), ...(graph.valueInfo ?? [])]) value.name = map(value.name);
  for (const tensor of graph.initializer ?? []) tensor.name = map(tensor.name);
  for (const node of graph.node ?? []) renameNode(node, map);
}

function renameNode(node: NodeProto, map: (name: string | null | undefined) => string): void {
  node.input = (node.input ?? []).map(map);
  node.output = (node.output ?? []).map(map);
  if (node.name) node.name = map(node.name);
  for (const attribute of node.attribute ?? []) {
    const nested = [...(attribute.g ? [attribute.g] : []), ...(attribute.graphs ?? [])];
    for (const graph of nested) renameValues(graph, (name) => map(name));
  }
}
