import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';

import onnxProto from 'onnx-proto';

import { buildLlamaLanguageModel } from '../../src/model-gen/language-model.js';
import { buildGpt2LanguageModel } from '../../src/model-gen/language-model-turbo.js';
import { graphFileName, makeModel } from '../../src/model-gen/make-model.js';
import type { GraphName, ModelDtype } from '../../src/model-gen/make-model.js';
import { modelDims } from '../../src/model-gen/sizes.js';
import type { ModelVariant } from '../../src/model-gen/sizes.js';
import { ensureTinyModel } from '../helpers/tiny-model.js';
import { openGraph } from './ort-harness.js';

type Signature = Array<[name: string, type: string, shape: Array<number | string>]>;

type Signatures = Record<GraphName, { inputs: Signature; outputs: Signature }>;

// The documented I/O of each graph (docs/chatterbox-engine.md) at tiny size: hidden 64, 2 layers, 4 KV heads
// of 16.
function expected(variant: ModelVariant, dtype: ModelDtype, positionIds: boolean): Signatures {
  const H = 64;
  const cache = dtype === 'fp16' || dtype === 'q4f16' ? 'float16' : 'float32';
  const layers = [0, 1];
  const cacheEntries = (prefix: string, length: string): Signature =>
    layers.flatMap((i) =>
      (['key', 'value'] as const).map((kv): Signature[number] => {
        return [`${prefix}.${i}.${kv}`, cache, ['batch_size', 4, length, 16]];
      }),
    );
  const past = cacheEntries('past_key_values', 'past_sequence_length');
  const present = cacheEntries('present', 'total_sequence_length');
  const english = variant === 'english';
  const positionInput: Signature[number] = ['position_ids', 'int64', ['batch_size', 'sequence_length']];
  const positions: Signature = positionIds || !english ? [positionInput] : [];
  return {
    speech_encoder: {
      inputs: [['audio_values', 'float32', ['batch_size', 'num_samples']]],
      outputs: [
        ['audio_features', 'float32', ['batch_size', 'sequence_length', H]],
        ['audio_tokens', 'int64', ['batch_size', 'audio_sequence_length']],
        ['speaker_embeddings', 'float32', ['batch_size', 192]],
        ['speaker_features', 'float32', ['batch_size', 'feature_dim', 80]],
      ],
    },
    embed_tokens: {
      inputs: english
        ? [
            ['input_ids', 'int64', ['batch_size', 'sequence_length']],
            ['position_ids', 'int64', ['batch_size', 'sequence_length']],
            ['exaggeration', 'float32', ['batch_size']],
          ]
        : [['input_ids', 'int64', ['batch_size', 'sequence_length']]],
      outputs: [['inputs_embeds', 'float32', ['batch_size', 'sequence_length', H]]],
    },
    language_model: {
      inputs: [
        ['inputs_embeds', 'float32', ['batch_size', 'sequence_length', H]],
        ['attention_mask', 'int64', ['batch_size', 'total_sequence_length']],
        ...positions,
        ...past,
      ],
      outputs: [['logits', 'float32', ['batch_size', 'sequence_length', english ? 8194 : 6563]], ...present],
    },
    conditional_decoder: {
      inputs: [
        ['speech_tokens', 'int64', ['batch_size', 'num_speech_tokens']],
        ['speaker_embeddings', 'float32', ['batch_size', 192]],
        ['speaker_features', 'float32', ['batch_size', 'feature_dim', 80]],
      ],
      outputs: [['waveform', 'float32', ['batch_size', 'num_samples']]],
    },
  };
}

const GRAPHS: GraphName[] = ['speech_encoder', 'embed_tokens', 'language_model', 'conditional_decoder'];

async function checkDirectory(dir: string, variant: ModelVariant, dtype: ModelDtype, positionIds: boolean) {
  const want = expected(variant, dtype, positionIds);
  for (const graph of GRAPHS) {
    const session = await openGraph(dir, graph, dtype);
    const describeAll = (metas: typeof session.inputMetadata) => metas.map((m) => (m.isTensor ? [m.name, m.type, [...m.shape]] : [m.name, 'non-tensor', []]));
    assert.deepEqual(describeAll(session.inputMetadata), want[graph].inputs, `${graph} inputs`);
    assert.deepEqual(describeAll(session.outputMetadata), want[graph].outputs, `${graph} outputs`);
    await session.release();
  }
}

describe('tiny graph signatures in onnxruntime-node (CPU)', () => {
  const cases: Array<[ModelVariant, boolean]> = [
    ['english', false],
    ['english', true],
    ['turbo', false],
  ];
  for (const [variant, positionIds] of cases) {
    test(`${variant}${positionIds ? ' with position_ids' : ''} fp32`, async () => {
      await checkDirectory(await ensureTinyModel({ variant, positionIds }), variant, 'fp32', positionIds);
    });
  }
  for (const variant of ['english', 'turbo'] as const) {
    test(`${variant} fp16 has float16 caches and _fp16 file names`, async () => {
      await checkDirectory(await ensureTinyModel({ variant, dtype: 'fp16' }), variant, 'fp16', false);
    });
  }

  for (const variant of ['english', 'turbo'] as const) {
    for (const dtype of ['q4', 'q4f16'] as const) {
      test(`${variant} ${dtype}: float32 embeddings and logits, ${dtype === 'q4' ? 'float32' : 'float16'} caches, _${dtype} file names`, async () => {
        await checkDirectory(await ensureTinyModel({ variant, dtype }), variant, dtype, false);
      });
    }
  }

  test('English fp16 with position_ids', async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'model-gen-fp16-'));
    t.after(() => rm(dir, { recursive: true, force: true }));
    await makeModel({ size: 'tiny', variant: 'english', outDir: dir, dtype: 'fp16', positionIds: true });
    await checkDirectory(dir, 'english', 'fp16', true);
  });
});

/** The ops of one generated graph, as 'domain.OpType'. */
async function opsOf(dir: string, graph: 'language_model' | 'embed_tokens' = 'language_model', dtype: ModelDtype = 'fp32') {
  const bytes = await readFile(join(dir, 'onnx', graphFileName(graph, dtype)));
  const model = onnxProto.onnx.ModelProto.decode(bytes);
  return new Set(model.graph!.node!.map((n) => `${n.domain === '' ? 'ai.onnx' : n.domain}.${n.opType}`));
}

describe('contrib ops', () => {
  test('the tiny English LM runs GroupQueryAttention and (Skip)SimplifiedLayerNormalization', async () => {
    const ops = await opsOf(await ensureTinyModel());
    const wanted = ['GroupQueryAttention', 'SkipSimplifiedLayerNormalization'].map((op) => `com.microsoft.${op}`);
    for (const op of [...wanted, 'ai.onnx.SimplifiedLayerNormalization']) {
      assert.ok(ops.has(op), `missing ${op}`);
    }
  });

  test('the tiny Turbo LM runs GroupQueryAttention, SkipLayerNormalization and FastGelu', async () => {
    const ops = await opsOf(await ensureTinyModel({ variant: 'turbo' }));
    for (const op of ['GroupQueryAttention', 'SkipLayerNormalization', 'FastGelu'].map((o) => `com.microsoft.${o}`)) {
      assert.ok(ops.has(op), `missing ${op}`);
    }
  });
});

describe('4-bit variants', () => {
  for (const variant of ['english', 'turbo'] as const) {
    for (const dtype of ['q4', 'q4f16'] as const) {
      test(`${variant} ${dtype}: every matmul of the LM is MatMulNBits, every embedding table GatherBlockQuantized`, async () => {
        const dir = await ensureTinyModel({ variant, dtype });
        const lm = await opsOf(dir, 'language_model', dtype);
        assert.ok(lm.has('com.microsoft.MatMulNBits'));
        assert.ok(!lm.has('ai.onnx.MatMul'), 'a float MatMul is left in the language model');
        const embed = await opsOf(dir, 'embed_tokens', dtype);
        assert.ok(embed.has('com.microsoft.GatherBlockQuantized'));
        const model = onnxProto.onnx.ModelProto.decode(await readFile(join(dir, 'onnx', graphFileName('embed_tokens', dtype))));
        const tables = model.graph!.initializer!.map((t) => t.name!).filter((name) => /emb\.weight/.test(name));
        assert.ok(tables.length > 0 && tables.every((name) => /emb\.weight_(Q4|scales|zero_points)$/.test(name)), tables.join(', '));
      });
    }
  }
});

describe('full-size language models have the real dimensions', () => {
  const options = { seed: 1, dtype: 'fp32' as const, attention: 'gqa' as const, positionIds: false };
  const parameters = (g: { initializers: Array<{ dims: readonly number[] }> }) => g.initializers.reduce((sum, t) => sum + t.dims.reduce((a, b) => a * b, 1), 0);

  test('English: 30 layers, 16 KV heads of 64, logits 8194, ~0.5 B parameters', () => {
    const g = buildLlamaLanguageModel({ ...options, dims: modelDims('full', 'english') });
    assert.equal(g.inputs.filter((v) => v.name.startsWith('past_key_values.')).length, 60);
    const lastPast = g.inputs.find((v) => v.name === 'past_key_values.29.value');
    assert.deepEqual(lastPast?.dims, ['batch_size', 16, 'past_sequence_length', 64]);
    assert.deepEqual(g.outputs[0]?.dims, ['batch_size', 'sequence_length', 8194]);
    assert.deepEqual(g.initializers.find((t) => t.name === 'model.layers.0.mlp.gate_proj.weight')?.dims, [1024, 4096]);
    const count = parameters(g);
    assert.ok(count > 5.0e8 && count < 5.3e8, `${count} parameters`);
  });

  test('Turbo: 24 layers, 16 KV heads of 64, logits 6563', () => {
    const g = buildGpt2LanguageModel({ ...options, dims: modelDims('full', 'turbo') });
    assert.equal(g.inputs.filter((v) => v.name.startsWith('past_key_values.')).length, 48);
    const lastPast = g.inputs.find((v) => v.name === 'past_key_values.23.key');
    assert.deepEqual(lastPast?.dims, ['batch_size', 16, 'past_sequence_length', 64]);
    assert.deepEqual(g.outputs[0]?.dims, ['batch_size', 'sequence_length', 6563]);
    assert.deepEqual(g.initializers.find((t) => t.name === 'transformer.h.0.mlp.c_fc.weight')?.dims, [1024, 4096]);
  });
});
