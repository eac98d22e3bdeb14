// Builds the fused decode model from a model's own embed_tokens and language_model graphs: one ONNX Loop whose body
// runs the language model (every past_key_values.* carried from iteration to iteration, growing by one position),
// the sampler, and embed_tokens for the token just drawn. The weights of both graphs become initializers of the main
// graph, which the body reads from the outer scope, so they exist once. The first iteration of a request's first run
// takes the prompt embeddings (prefill), so prompt and decode share one session.
//
// Rows and requests: a batch has R rows and N requests; a request owns one row, or two with CFG (cond, uncond).
// Per-request inputs are [N]-shaped, per-row inputs [R]-shaped, so different requests can share a run.
import { tensorType } from '../../onnx/signature.js';
import { NodeBuilder } from './node-builder.js';
import {
  onnx,
  opsetOf,
  signatureOfGraph,
  toNumber,
  valueInfo,
  valueInfoWithDims,
  type ElementTypeName,
  type GraphProto,
  type ModelProto,
  type TensorProto,
} from './onnx-proto-io.js';
import { renameValues } from './rename-graph.js';
import { addSamplerNodes } from './sampler-graph.js';
import { sortNodes } from './sort-nodes.js';

/** What the fused model's caller must know about its inputs, read from the wrapped graphs. */
export interface FusedLayout {
  layers: number;
  hidden: number;
  vocab: number;
  /** KV heads and head size as the graph declares them (a number, or a symbolic name). */
  kvHeads: number | string;
  headDim: number | string;
  /** Element type of the KV cache ('float32' or 'float16'). */
  cacheType: ElementTypeName;
  /** Element type of inputs_embeds. */
  embedsType: ElementTypeName;
  /** Element type of embed_tokens' exaggeration input, when it has one. */
  exaggerationType: ElementTypeName | undefined;
  /** The language model takes position_ids (Turbo); the fused model then carries them. */
  lmPositionIds: boolean;
  /** embed_tokens takes position_ids (English/multilingual). */
  embedPositionIds: boolean;
  /**
   * Where a row's valid cache entries sit once rows of different lengths share a batch: 'prefix' when
   * GroupQueryAttention writes each row's new entry right after its own (its count from the mask), 'mask' when the
   * graph appends at the end and the mask marks the valid ones.
   */
  cacheLayout: 'prefix' | 'mask';
}

/** Why a model cannot be wrapped; the engine then falls back to the step loop and logs this. */
export class UnwrappableModelError extends Error {}

/** How to wrap two graphs. */
export interface FusedGraphOptions {
  embed: ModelProto;
  lm: ModelProto;
  /** The stop token: a request ends after drawing it. */
  stopToken: number;
  /** Ids above this are never drawn (English); undefined keeps every id (Turbo). */
  maxValidId: number | undefined;
  /** Rewrites an external-data location of the given graph to one valid beside the fused model. */
  externalLocation: (location: string, graph: 'embed' | 'lm') => string;
}

const EMBED_PREFIX = 'embed/';
const LM_PREFIX = 'lm/';
const BATCH = 'batch_rows';
const REQUESTS = 'requests';

/** Builds the fused model; throws UnwrappableModelError naming what does not fit. */
export function buildFusedDecodeModel(options: FusedGraphOptions): { model: ModelProto; layout: FusedLayout } {
  const { embed, lm } = options;
  const opset = opsetOf(lm, '') ?? 0;
  const embedOpset = opsetOf(embed, '') ?? 0;
  if (opset < 13) throw new UnwrappableModelError(`language_model imports default-domain opset ${opset}; the fused graph needs 13 or later`);
  if (embedOpset !== opset)
    throw new UnwrappableModelError(`embed_tokens imports opset ${embedOpset} and language_model opset ${opset}; one model cannot hold both`);
  // The protos are consumed: their graphs are renamed in place and moved into the fused model.
  const lmGraph = lm.graph as GraphProto;
  const embedGraph = embed.graph as GraphProto;
  const layout = readLayout(lmGraph, embedGraph);
  const embedSig = signatureOfGraph(embedGraph);
  const lmSig = signatureOfGraph(lmGraph);

  renameValues(embedGraph, (name) => EMBED_PREFIX + name);
  const lmNames = new Set([...lmSig.inputs, ...lmSig.outputs].map((m) => m.name));
  renameValues(lmGraph, (name) => (lmNames.has(name) ? LM_PREFIX + name : name));
  relocate(lmGraph.initializer ?? [], (location) => options.externalLocation(location, 'lm'));
  relocate(embedGraph.initializer ?? [], (location) => options.externalLocation(location, 'embed'));

  const constants: TensorProto[] = [];
  const main = new NodeBuilder(opset, constants, 'main/');
  const body = main.nested('body/');
  const past = Array.from({ length: layout.layers }, (_, i) => ['key', 'value'].map((kind) => `past_key_values.${i}.${kind}`)).flat();
  const present = past.map((name) => name.replace('past_key_values.', 'present.'));

  // Loop-carried values: [main input, body input, body output, main output, type, rank].
  const carried: Array<[string, string, string, string, ElementTypeName, number]> = [];
  const carry = (input: string, bodyIn: string, bodyOut: string, output: string, type: ElementTypeName, rank: number) =>
    carried.push([input, bodyIn, bodyOut, output, type, rank]);

  const iteration = 'fused/iteration';
  const condIn = 'fused/cond_in';
  const seenIn = 'fused/seen_in';
  const doneIn = 'fused/done_in';
  const embedPosIn = 'fused/embed_position_in';

  // The sampler and the bookkeeping of one step.
  // Prompts of different lengths share a prefill right-padded: the first iteration takes each row's logits at its
  // own last prompt position (prompt_last); every later one has a single position, index 0.
  const firstIteration = body.op('Equal', [iteration, body.i64(0)]);
  const lastIndex = body.op('Where', [firstIteration, 'prompt_last', body.op('Mul', ['prompt_last', body.i64(0)])]);
  const gatherIndex = body.op('Expand', [body.op('Unsqueeze', [lastIndex, body.i64([1, 2])]), body.i64([1, 1, layout.vocab])]);
  const lastLogits = body.op('Squeeze', [body.op('GatherElements', [`${LM_PREFIX}logits`, gatherIndex], { axis: 1 }), body.i64([1])]);
  const logitsType = tensorType(lmSig.outputs, 'logits');
  const logits = logitsType === 'float32' ? lastLogits : body.cast(lastLogits, 'float32');
  const token = addSamplerNodes(
    body,
    {
      logits,
      condRows: 'cond_rows',
      uncondRows: 'uncond_rows',
      cfgWeight: 'cfg_weight',
      repetitionPenalty: 'repetition_penalty',
      invTemperature: 'inv_temperature',
      minPOffset: 'min_p_offset',
      topK: 'top_k',
      topP: 'top_p',
      uniform: body.op('Gather', ['uniforms', iteration], { axis: 1 }),
      seen: seenIn,
    },
    { vocab: layout.vocab, maxValidId: options.maxValidId },
  );
  const emitted = body.op('Where', [doneIn, body.i64(-1), token], {}, 'fused/emitted');
  const budgetUsed = body.op('GreaterOrEqual', [body.op('Add', [iteration, body.i64(1)]), 'row_steps']);
  const doneOut = body.op('Or', [doneIn, body.op('Or', [body.op('Equal', [token, body.i64(options.stopToken)]), budgetUsed])]);
  const stillRunning = body.reduce('ReduceSum', body.cast(body.op('Not', [doneOut]), 'int64'), [0], 0);
  const condOut = body.op('Greater', [stillRunning, body.i64(0)]);
  const ids = body.op('Unsqueeze', [body.i64([...Array(layout.vocab).keys()]), body.i64([0])]);
  const seenOut = body.op('Or', [seenIn, body.op('Equal', [ids, body.op('Unsqueeze', [token, body.i64([1])])])]);

  // The next iteration's inputs: the drawn token embedded at its position, the mask one longer.
  const rowTokens = body.op('Gather', [token, 'row_requests'], { axis: 0 });
  body.op('Unsqueeze', [rowTokens, body.i64([1])], {}, `${EMBED_PREFIX}input_ids`);
  if (layout.exaggerationType) body.op('Identity', ['exaggeration'], {}, `${EMBED_PREFIX}exaggeration`);
  if (layout.embedPositionIds) {
    body.op('Unsqueeze', [embedPosIn, body.i64([1])], {}, `${EMBED_PREFIX}position_ids`);
    carry('embed_positions', embedPosIn, body.op('Add', [embedPosIn, body.i64(1)]), 'next_embed_positions', 'int64', 1);
  }
  const embedded = `${EMBED_PREFIX}inputs_embeds`;
  const embedOutType = tensorType(embedSig.outputs, 'inputs_embeds');
  const nextEmbeds = embedOutType === layout.embedsType ? body.op('Identity', [embedded]) : body.cast(embedded, layout.embedsType);
  const mask = `${LM_PREFIX}attention_mask`;
  const lastColumn = (x: string) => body.op('Slice', [x, body.i64([-1]), body.i64([Number.MAX_SAFE_INTEGER]), body.i64([1])]);
  carry('inputs_embeds', `${LM_PREFIX}inputs_embeds`, nextEmbeds, 'next_inputs_embeds', layout.embedsType, 3);
  // The new position is always attended, also after a right-padded prompt whose last column is padding.
  const attendedColumn = body.op('Add', [body.op('Mul', [lastColumn(mask), body.i64(0)]), body.i64(1)]);
  carry('attention_mask', mask, body.op('Concat', [mask, attendedColumn], { axis: 1 }), 'next_attention_mask', 'int64', 2);
  if (layout.lmPositionIds) {
    const positions = `${LM_PREFIX}position_ids`;
    carry('position_ids', positions, body.op('Add', [lastColumn(positions), body.i64(1)]), 'next_position_ids', 'int64', 2);
  }
  carry('seen_tokens', seenIn, seenOut, 'next_seen_tokens', 'bool', 2);
  carry('fused/done_start', doneIn, doneOut, 'fused/done_end', 'bool', 1);
  past.forEach((name, i) => carry(name, `${LM_PREFIX}${name}`, `${LM_PREFIX}${present[i]}`, present[i]!, layout.cacheType, 4));

  const bodyGraph: GraphProto = {
    name: 'fused_decode_step',
    input: [valueInfo(iteration, 'int64', 0), valueInfo(condIn, 'bool', 0), ...carried.map(([, bodyIn, , , type, rank]) => valueInfo(bodyIn, type, rank))],
    output: [valueInfo(condOut, 'bool', 0), ...carried.map(([, , bodyOut, , type, rank]) => valueInfo(bodyOut, type, rank)), valueInfo(emitted, 'int64', 1)],
    node: sortNodes([...(lmGraph.node ?? []), ...body.nodes, ...(embedGraph.node ?? [])]),
    valueInfo: [...(lmGraph.valueInfo ?? []), ...(embedGraph.valueInfo ?? [])],
  };

  const tripCount = main.reduce('ReduceMax', 'row_steps', [0], 0);
  main.op('Less', ['row_steps', main.i64(1)], {}, 'fused/done_start');
  main.node('Loop', [tripCount, main.bool(true), ...carried.map(([input]) => input)], { body: { graph: bodyGraph } }, [
    ...carried.map(([, , , output]) => output),
    'tokens',
  ]);

  const inputs = [
    valueInfoWithDims('inputs_embeds', layout.embedsType, [BATCH, 'sequence', layout.hidden]),
    valueInfoWithDims('attention_mask', 'int64', [BATCH, 'total_sequence']),
    ...(layout.lmPositionIds ? [valueInfoWithDims('position_ids', 'int64', [BATCH, 'sequence'])] : []),
    ...(layout.embedPositionIds ? [valueInfoWithDims('embed_positions', 'int64', [BATCH])] : []),
    ...(layout.exaggerationType ? [valueInfoWithDims('exaggeration', layout.exaggerationType, [BATCH])] : []),
    ...past.map((name) => valueInfoWithDims(name, layout.cacheType, [BATCH, layout.kvHeads, 'past_sequence', layout.headDim])),
    valueInfoWithDims('seen_tokens', 'bool', [REQUESTS, layout.vocab]),
    valueInfoWithDims('row_requests', 'int64', [BATCH]),
    valueInfoWithDims('prompt_last', 'int64', [BATCH]),
    valueInfoWithDims('cond_rows', 'int64', [REQUESTS]),
    valueInfoWithDims('uncond_rows', 'int64', [REQUESTS]),
    valueInfoWithDims('cfg_weight', 'float32', [REQUESTS]),
    valueInfoWithDims('repetition_penalty', 'float32', [REQUESTS]),
    valueInfoWithDims('inv_temperature', 'float64', [REQUESTS]),
    valueInfoWithDims('min_p_offset', 'float64', [REQUESTS]),
    valueInfoWithDims('top_k', 'int64', [REQUESTS]),
    valueInfoWithDims('top_p', 'float64', [REQUESTS]),
    valueInfoWithDims('uniforms', 'float64', [REQUESTS, 'steps']),
    valueInfoWithDims('row_steps', 'int64', [REQUESTS]),
  ];
  const outputs = [
    valueInfoWithDims('tokens', 'int64', ['steps_run', REQUESTS]),
    ...carried.filter(([input]) => !input.startsWith('fused/')).map(([, , , output, type, rank]) => valueInfo(output, type, rank)),
  ];
  const domains = new Map<string, number>();
  for (const entry of [...embed.opsetImport, ...lm.opsetImport]) {
    const domain = entry.domain ?? '';
    domains.set(domain, Math.max(domains.get(domain) ?? 0, toNumber(entry.version)));
  }
  const model = onnx.ModelProto.create({
    irVersion: Math.max(toNumber(embed.irVersion), toNumber(lm.irVersion), 8),
    producerName: 'chatterbox-stream fused decode',
    opsetImport: [...domains].map(([domain, version]) => ({ domain, version })),
    functions: [...(embed.functions ?? []), ...(lm.functions ?? [])],
    graph: {
      name: 'fused_decode',
      input: inputs,
      output: outputs,
      initializer: [...(lmGraph.initializer ?? []), ...(embedGraph.initializer ?? []), ...constants],
      sparseInitializer: [...(lmGraph.sparseInitializer ?? []), ...(embedGraph.sparseInitializer ?? [])],
      node: main.nodes,
    },
  });
  return { model, layout };
}

function readLayout(lmGraph: GraphProto, embedGraph: GraphProto): FusedLayout {
  const lmSig = signatureOfGraph(lmGraph);
  const embedSig = signatureOfGraph(embedGraph);
  const find = (list: typeof lmSig.inputs, name: string) => list.find((m) => m.name === name) as { type: string; shape: Array<number | string> } | undefined;
  const known = /^(inputs_embeds|attention_mask|position_ids|past_key_values\.\d+\.(key|value))$/;
  const unknown = lmSig.inputs.map((m) => m.name).filter((name) => !known.test(name));
  if (unknown.length > 0) throw new UnwrappableModelError(`language_model has inputs the fused graph cannot feed: ${unknown.join(', ')}`);
  const unknownEmbed = embedSig.inputs.map((m) => m.name).filter((name) => !['input_ids', 'position_ids', 'exaggeration'].includes(name));
  if (unknownEmbed.length > 0) throw new UnwrappableModelError(`embed_tokens has inputs the fused graph cannot feed: ${unknownEmbed.join(', ')}`);
  const layers = lmSig.inputs.filter((m) => /^past_key_values\.\d+\.key$/.test(m.name)).length;
  const cache = find(lmSig.inputs, 'past_key_values.0.key');
  const embeds = find(lmSig.inputs, 'inputs_embeds');
  const logits = find(lmSig.outputs, 'logits');
  const vocab = logits?.shape.at(-1);
  const hidden = embeds?.shape.at(-1);
  if (!cache || !embeds || layers === 0) throw new UnwrappableModelError('language_model lacks inputs_embeds or past_key_values.*');
  if (typeof vocab !== 'number' || typeof hidden !== 'number')
    throw new UnwrappableModelError('language_model does not fix the widths of logits and inputs_embeds');
  if (!find(embedSig.outputs, 'inputs_embeds')) throw new UnwrappableModelError("embed_tokens has no output 'inputs_embeds'");
  for (let i = 0; i < layers; i++) {
    for (const kind of ['key', 'value']) {
      if (!find(lmSig.outputs, `present.${i}.${kind}`)) throw new UnwrappableModelError(`language_model lacks output present.${i}.${kind}`);
    }
  }
  const floatType = (type: string | undefined, what: string): ElementTypeName => {
    if (type === 'float32' || type === 'float16') return type;
    throw new UnwrappableModelError(`${what} is ${type}, expected float32 or float16`);
  };
  const exaggeration = find(embedSig.inputs, 'exaggeration');
  return {
    layers,
    hidden,
    vocab,
    kvHeads: cache.shape[1] ?? 'kv_heads',
    headDim: cache.shape[3] ?? 'head_dim',
    cacheType: floatType(cache.type, 'the KV cache'),
    embedsType: floatType(embeds.type, 'inputs_embeds'),
    exaggerationType: exaggeration ? floatType(exaggeration.type, 'exaggeration') : undefined,
    lmPositionIds: find(lmSig.inputs, 'position_ids') !== undefined,
    embedPositionIds: find(embedSig.inputs, 'position_ids') !== undefined,
    cacheLayout: (lmGraph.node ?? []).some((node) => node.opType === 'GroupQueryAttention') ? 'prefix' : 'mask',
  };
}

function relocate(tensors: TensorProto[], move: (location: string) => string): void {
  for (const tensor of tensors) {
    for (const entry of tensor.externalData ?? []) if (entry.key === 'location' && entry.value) entry.value = move(entry.value);
  }
}
