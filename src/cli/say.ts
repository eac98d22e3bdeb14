import { parseArgs } from 'node:util';
import { TtsClient } from '../../client/node/tts-client.js';
import { WavFileWriter } from '../../client/node/wav-file-writer.js';
import { TtsError } from '../protocol/errors.js';

const HELP = `Usage: chatterbox say "text" [--url ws://127.0.0.1:6093] [--voice NAME] [--language xx] [--params JSON] [-o out.wav]

Speaks the text through a running worker or balancer. With -o the WAV is written as chunks arrive;
either way it prints time to first audio, real-time factor and duration.`;

/** `chatterbox say`: a command-line client of the streaming endpoint. */
export async function sayCommand(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      url: { type: 'string', default: process.env.CHATTERBOX_URL ?? 'ws://127.0.0.1:6093' },
      voice: { type: 'string' },
      language: { type: 'string' },
      params: { type: 'string' },
      output: { type: 'string', short: 'o' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(HELP);
    return;
  }
  const text = positionals.join(' ');
  if (text.trim() === '') throw new TtsError('TEXT_EMPTY', `no text given\n\n${HELP}`);
  let params: Record<string, number> | undefined;
  if (values.params !== undefined) {
    try {
      params = JSON.parse(values.params) as Record<string, number>;
    } catch {
      throw new TtsError('BAD_JSON', '--params must be a JSON object, e.g. \'{"temperature":0.7}\'');
    }
  }

  const client = await TtsClient.connect(values.url);
  const rate = client.ready.sampleRate;
  const writer = values.output === undefined ? undefined : await WavFileWriter.create(values.output, rate, 's16le');
  try {
    const stream = client.speak(text, {
      ...(values.voice === undefined ? {} : { voice: values.voice }),
      ...(values.language === undefined ? {} : { language: values.language }),
      ...(params ? { params } : {}),
    });
    for await (const chunk of stream) await writer?.append(chunk.pcm);
    const done = await stream.done;
    const seconds = done.samples / rate;
    console.log(
      `ttfa ${done.metrics.ttfaMs.toFixed(0)} ms  rtf ${done.metrics.rtf.toFixed(3)}  duration ${seconds.toFixed(2)} s  ` +
        `chunks ${done.chunks}  engine ${client.ready.engine} @ ${rate} Hz${values.output ? `  → ${values.output}` : ''}`,
    );
  } finally {
    await writer?.close();
    await client.close();
  }
}
