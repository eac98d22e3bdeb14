import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { InferenceSession } from 'onnxruntime-node';
import { checkSignatures, lastDim, tensorType, type GraphSignature } from '../../../src/engine/onnx/signature.js';

type Meta = InferenceSession.ValueMetadata;
const tensor = (name: string, type: string, shape: Array<number | string>): Meta => ({ name, isTensor: true, type, shape }) as Meta;
const f32 = (name: string, ...shape: Array<number | string>) => tensor(name, 'float32', shape);
const i64 = (name: string, ...shape: Array<number | string>) => tensor(name, 'int64', shape);
/** `list` with the value of the same name replaced by `meta`. */
const swap = (list: readonly Meta[], meta: Meta) => list.map((m) => (m.name === meta.name ? meta : m));

/** The English export's signatures (tiny sizes), as ORT reports them. */
function englishSignatures(layers = 2, cacheType = 'float32'): Record<string, GraphSignature> {
  const cache = (prefix: string, i: number, kind: string) => tensor(`${prefix}.${i}.${kind}`, cacheType, ['batch', 4, 'past', 16]);
  const range = Array.from({ length: layers }, (_, i) => i);
  return {
    speech_encoder: {
      inputs: [f32('audio_values', 'batch', 'samples')],
      outputs: [
        f32('audio_features', 'batch', 'n', 64),
        i64('audio_tokens', 'batch', 'p'),
        f32('speaker_embeddings', 'batch', 192),
        f32('speaker_features', 'batch', 'f', 80),
      ],
    },
    embed_tokens: {
      inputs: [i64('input_ids', 'batch', 'seq'), i64('position_ids', 'batch', 'seq'), f32('exaggeration', 'batch')],
      outputs: [f32('inputs_embeds', 'batch', 'seq', 64)],
    },
    language_model: {
      inputs: [
        f32('inputs_embeds', 'batch', 'seq', 64),
        i64('attention_mask', 'batch', 'total'),
        ...range.flatMap((i) => [cache('past_key_values', i, 'key'), cache('past_key_values', i, 'value')]),
      ],
      outputs: [f32('logits', 'batch', 'seq', 8194), ...range.flatMap((i) => [cache('present', i, 'key'), cache('present', i, 'value')])],
    },
    conditional_decoder: {
      inputs: [i64('speech_tokens', 'batch', 't'), f32('speaker_embeddings', 'batch', 192), f32('speaker_features', 'batch', 'f', 80)],
      outputs: [f32('waveform', 'batch', 'samples')],
    },
  };
}

describe('checkSignatures', () => {
  it('accepts the export’s signatures and counts the layers', () => {
    assert.deepEqual(checkSignatures(englishSignatures(30)), { problems: [], layers: 30 });
  });

  it('accepts float16 caches and Turbo’s embed_tokens (input_ids only) and position_ids', () => {
    const signatures = englishSignatures(2, 'float16');
    signatures.embed_tokens!.inputs = [i64('input_ids', 'batch', 'seq')];
    signatures.language_model!.inputs = [...signatures.language_model!.inputs, i64('position_ids', 'batch', 'seq')];
    assert.deepEqual(checkSignatures(signatures), { problems: [], layers: 2 });
  });

  it('checks only the graphs it is given', () => {
    const { conditional_decoder } = englishSignatures();
    assert.deepEqual(checkSignatures({ conditional_decoder }), { problems: [], layers: 0 });
  });

  const cases: Array<[string, (s: Record<string, GraphSignature>) => void, string[]]> = [
    [
      'a missing input and output',
      (s) => {
        s.conditional_decoder!.inputs = s.conditional_decoder!.inputs.filter((m) => m.name !== 'speaker_features');
        s.speech_encoder!.outputs = s.speech_encoder!.outputs.filter((m) => m.name !== 'audio_tokens');
      },
      ["speech_encoder: missing output 'audio_tokens'", "conditional_decoder: missing input 'speaker_features'"],
    ],
    [
      'a wrong dtype',
      (s) => {
        s.conditional_decoder!.inputs = swap(s.conditional_decoder!.inputs, f32('speech_tokens', 'batch', 't'));
        s.embed_tokens!.inputs = swap(s.embed_tokens!.inputs, tensor('input_ids', 'int32', ['batch', 'seq']));
        s.speech_encoder!.inputs = swap(s.speech_encoder!.inputs, tensor('audio_values', 'float64', ['batch', 'samples']));
      },
      [
        "speech_encoder: input 'audio_values' is float64, expected float32 or float16",
        "embed_tokens: input 'input_ids' is int32, expected int64",
        "conditional_decoder: input 'speech_tokens' is float32, expected int64",
      ],
    ],
    [
      'a wrong rank (an unknown shape passes)',
      (s) => {
        s.speech_encoder!.inputs = swap(s.speech_encoder!.inputs, f32('audio_values', 'samples'));
        s.conditional_decoder!.outputs = swap(s.conditional_decoder!.outputs, f32('waveform'));
      },
      ["speech_encoder: input 'audio_values' has rank 1 [samples], expected rank 2"],
    ],
    [
      'a non-tensor value',
      (s) => {
        s.embed_tokens!.outputs = swap(s.embed_tokens!.outputs, { name: 'inputs_embeds', isTensor: false } as Meta);
      },
      ["embed_tokens: output 'inputs_embeds' is not a tensor"],
    ],
    [
      'a language model without a cache',
      (s) => {
        s.language_model!.inputs = s.language_model!.inputs.filter((m) => !m.name.startsWith('past_key_values.'));
      },
      ["language_model: no 'past_key_values.N.key' inputs"],
    ],
    [
      'a missing cache value input, a missing present output, and a cache of rank 3',
      (s) => {
        const lm = s.language_model!;
        lm.inputs = lm.inputs.filter((m) => m.name !== 'past_key_values.1.value');
        lm.outputs = lm.outputs.filter((m) => m.name !== 'present.0.key');
        lm.outputs = swap(lm.outputs, f32('present.1.value', 'batch', 'total', 16));
      },
      [
        "language_model: output 'present.1.value' has rank 3 [batch, total, 16], expected rank 4",
        "language_model: missing output 'present.0.key'",
        "language_model: missing input 'past_key_values.1.value'",
      ],
    ],
  ];
  for (const [name, breakIt, expected] of cases) {
    it(`reports ${name}`, () => {
      const signatures = englishSignatures();
      breakIt(signatures);
      assert.deepEqual(checkSignatures(signatures).problems.sort(), [...expected].sort());
    });
  }
});

describe('lastDim and tensorType', () => {
  const metadata = [
    f32('logits', 'batch', 'seq', 6563),
    f32('waveform', 'batch', 'samples'),
    tensor('past', 'float16', []),
    { name: 'opaque', isTensor: false } as Meta,
  ];
  it('read a fixed last dimension and a dtype, undefined where unknown or absent', () => {
    assert.equal(lastDim(metadata, 'logits'), 6563);
    assert.equal(lastDim(metadata, 'waveform'), undefined, 'symbolic');
    assert.equal(lastDim(metadata, 'past'), undefined, 'no shape');
    assert.equal(lastDim(metadata, 'opaque'), undefined);
    assert.equal(lastDim(metadata, 'absent'), undefined);
    assert.equal(tensorType(metadata, 'past'), 'float16');
    assert.equal(tensorType(metadata, 'opaque'), undefined);
    assert.equal(tensorType(metadata, 'absent'), undefined);
  });
});
