import type { GraphProto, NodeProto } from './onnx-proto-io.js';

// Names a node reads: its inputs and, for nodes with subgraphs, every name those read (a subgraph may use values of
// the enclosing graph without listing them as inputs).
function readsOf(node: NodeProto, into: Set<string>): Set<string> {
  for (const input of node.input ?? []) if (input) into.add(input);
  for (const attribute of node.attribute ?? []) {
    const nested: GraphProto[] = [...(attribute.g ? [attribute.g] : []), ...(attribute.graphs ?? [])];
    for (const graph of nested) for (const inner of graph.node ?? []) readsOf(inner, into);
  }
  return into;
}

/**
 * Orders nodes so each comes after the producers of what it reads (ONNX requires topological order), keeping the
 * given order wherever it is already valid. Names no node produces (inputs, initializers, outer scope) are ready.
 * Throws on a cycle.
 */
export function sortNodes(nodes: readonly NodeProto[]): NodeProto[] {
  const producer = new Map<string, number>();
  nodes.forEach((node, i) => (node.output ?? []).forEach((name) => name && producer.set(name, i)));
  const deps = nodes.map((node, i) => [...readsOf(node, new Set())].map((name) => producer.get(name)).filter((p): p is number => p !== undefined && p !== i));
  const done = new Uint8Array(nodes.length);
  const sorted: NodeProto[] = [];
  const visit = (start: number) => {
    // Iterative depth-first post-order, so deep graphs cannot overflow the stack.
    const stack: Array<[number, number]> = [[start, 0]];
    const onStack = new Set<number>([start]);
    while (stack.length > 0) {
      const top = stack[stack.length - 1]!;
      const [index, next] = top;
      const list = deps[index]!;
      if (next < list.length) {
        top[1] += 1;
        const dep = list[next]!;
        if (done[dep]) continue;
        if (onStack.has(dep)) throw new Error(`graph has a cycle through ${nodes[dep]!.name ?? dep}`);
        stack.push([dep, 0]);
        onStack.add(dep);
      } else {
        stack.pop();
        onStack.delete(index);
        done[index] = 1;
        sorted.push(nodes[index]!);
      }
    }
  };
  for (let i = 0; i < nodes.length; i++) if (!done[i]) visit(i);
  return sorted;
}
