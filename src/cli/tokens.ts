import { parseArgs } from 'node:util';
import { loadChatterboxModel } from '../engine/chatterbox/chatterbox-model.js';
import { generateSpeechTokens } from '../engine/chatterbox/generate-tokens.js';
import { normalizeText } from '../engine/chatterbox/normalize-text.js';
import { chatterboxParamInfo, toSamplerParams } from '../engine/chatterbox/sampler-params.js';
import { createRandomSeed } from '../engine/chatterbox/seeded-random.js';
import { createVoiceBank, listVoiceFiles } from '../engine/chatterbox/voice-bank.js';
import { DEVICE_CHOICES } from '../engine/onnx/execution-provider.js';
import { MODEL_DTYPES } from '../engine/onnx/model-files.js';
import { resolveRequest } from '../engine/resolve-request.js';
import { UsageError, parseChoiceFlag, parseParamsFlag } from './usage-error.js';

const HELP = `Usage: chatterbox tokens --model DIR "text" [--params JSON] [--voice NAME] [--voices-dir DIR] [--dtype fp32] [--device cpu]

Prints, as JSON, the speech token ids the model generates for the text (one generation call, no
sentence splitting): a debugging aid for anyone bringing their own export.`;

/** `chatterbox tokens`: the generation loop alone, its tokens printed as JSON. */
export async function tokensCommand(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      model: { type: 'string' },
      params: { type: 'string' },
      voice: { type: 'string' },
      'voices-dir': { type: 'string' },
      dtype: { type: 'string', default: 'fp32' },
      device: { type: 'string', default: 'cpu' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(HELP);
    return;
  }
  const text = positionals.join(' ');
  if (values.model === undefined) throw new UsageError('--model DIR is required');
  if (text.trim() === '') throw new UsageError('no text given');
  const asked = values.params === undefined ? {} : parseParamsFlag('--params', values.params);
  const dtype = parseChoiceFlag('--dtype', values.dtype, MODEL_DTYPES);
  const device = parseChoiceFlag('--device', values.device, DEVICE_CHOICES);
  const model = await loadChatterboxModel(values.model, { dtype, device, gpu: 0 });
  try {
    const voices = createVoiceBank(model.sessions.speech_encoder, listVoiceFiles(model.files.defaultVoice, values['voices-dir']));
    const languages = model.tokenizer.languages;
    const info = {
      name: 'chatterbox',
      sampleRateHz: 24_000,
      voices: voices.names,
      defaultVoice: voices.defaultVoice,
      languages,
      defaultLanguage: languages.includes('en') ? 'en' : languages[0]!,
      params: chatterboxParamInfo(model.variant, model.generationDefaults),
      device: model.device,
      details: {},
    };
    const request = resolveRequest({ text, voice: values.voice, params: asked }, info, Number.MAX_SAFE_INTEGER);
    const p = request.params;
    const tokens: number[] = [];
    const generation = generateSpeechTokens(
      model,
      {
        text: model.tokenizer.encode(normalizeText(request.text)),
        voice: await voices.get(request.voice),
        exaggeration: p.exaggeration ?? 0.5,
        cfgWeight: p.cfg_weight ?? 0,
        sampler: toSamplerParams(p),
        seed: p.seed === undefined || p.seed === 0 ? createRandomSeed() : p.seed,
        maxNewTokens: p.max_new_tokens ?? 1000,
      },
      new AbortController().signal,
    );
    for await (const token of generation) tokens.push(token);
    console.log(JSON.stringify(tokens));
  } finally {
    await model.release();
  }
}
