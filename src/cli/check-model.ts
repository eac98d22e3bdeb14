import { parseArgs } from 'node:util';
import { loadChatterboxModel, signaturesOf } from '../engine/chatterbox/chatterbox-model.js';
import { DEVICE_CHOICES } from '../engine/onnx/execution-provider.js';
import { MODEL_DTYPES, findModelFiles } from '../engine/onnx/model-files.js';
import { loadSessions, releaseAll } from '../engine/onnx/load-sessions.js';
import { TtsError } from '../protocol/errors.js';
import { UsageError, parseChoiceFlag, parseIntegerFlag } from './usage-error.js';

const HELP = `Usage: chatterbox check-model DIR [--dtype fp32|fp16|q8|q4|q4f16] [--device auto|cpu|cuda|webgpu] [--gpu N]

Prints each graph's inputs and outputs (name, dtype, shape) and whether the directory is a usable
Chatterbox export; exits 1 with every mismatch listed when it is not.`;

/** `chatterbox check-model`: the signature of a model directory and the loader's verdict. */
export async function checkModelCommand(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      dtype: { type: 'string', default: 'fp32' },
      device: { type: 'string', default: 'cpu' },
      gpu: { type: 'string', default: '0' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(HELP);
    return;
  }
  const [dir, ...extra] = positionals;
  if (dir === undefined) throw new UsageError('no model directory given');
  if (extra.length > 0) throw new UsageError(`one model directory expected, got ${positionals.length}`);
  const dtype = parseChoiceFlag('--dtype', values.dtype, MODEL_DTYPES);
  const device = parseChoiceFlag('--device', values.device, DEVICE_CHOICES);
  const gpu = parseIntegerFlag('--gpu', values.gpu, 0, 1023);

  const { files } = findModelFiles(dir, dtype);
  const loaded = await loadSessions(files, device, gpu);
  for (const [graph, signature] of Object.entries(signaturesOf(loaded.sessions))) {
    console.log(`${graph}  (${files.graphs[graph as keyof typeof files.graphs]?.path})`);
    for (const [side, list] of [
      ['in ', signature.inputs],
      ['out', signature.outputs],
    ] as const) {
      for (const m of list) console.log(`  ${side} ${m.name}: ${m.isTensor ? `${m.type} [${m.shape.join(', ')}]` : 'non-tensor'}`);
    }
  }
  await releaseAll(loaded.sessions);
  try {
    const model = await loadChatterboxModel(dir, { dtype, device, gpu });
    console.log(
      `\nOK: ${model.variant} model, ${model.lm.layers} layers, hidden ${model.lm.hidden}, ${model.lm.kvHeads} KV heads × ${model.lm.headDim}, ` +
        `logits ${model.lm.vocab}, cache ${model.lm.cacheType}, position_ids ${model.lm.hasPositionIds ? 'input' : 'from attention_mask'}, ` +
        `tokenizer ${model.tokenizer.wrapsPrompt ? 'adds' : 'does not add'} the prompt wrapper, device ${model.device}`,
    );
    for (const ignored of model.ignoredConfig) console.log(`note: generation_config.json ${ignored.field} ignored: ${ignored.reason}`);
    await model.release();
  } catch (err) {
    if (!(err instanceof TtsError)) throw err;
    console.log(`\nNOT USABLE: ${err.message}`);
    process.exitCode = 1;
  }
}
