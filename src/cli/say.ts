import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { TtsClient } from '../../client/node/tts-client.js';
import { BALANCER_SETTINGS } from '../config/balancer-config.js';
import { UsageError, parseParamsFlag } from './usage-error.js';
import { STDOUT_PATH, openWavOutput, type WavOutput } from './wav-output.js';

/** `npm start` serves clients on the balancer's port; workers (6093, …) are for the balancer. */
const DEFAULT_URL = `ws://127.0.0.1:${BALANCER_SETTINGS.port.default}`;

const HELP = `Usage: chatterbox say ["text" | --stdin-stream] [--url ${DEFAULT_URL}] [--api-key KEY] [--voice NAME] [--language xx] [--params JSON] [-o out.wav | -o -]

Speaks the text through a running balancer (the default URL, as 'npm start' runs it) or worker
(--url, or CHATTERBOX_URL). Without a text argument it reads the text from stdin.
--stdin-stream speaks stdin line by line as lines are typed or piped in, as one utterance, until stdin ends.
A server with API keys on needs --api-key, or CHATTERBOX_API_KEY (which, unlike a flag, does not show in ps).
-o FILE writes a WAV as chunks arrive; -o - streams the WAV to stdout (for a pipe into a player).
Prints time to first audio, real-time factor and duration: on stdout, or on stderr with -o -.
Exits 2 for a bad command line, 1 when the request fails.`;

/** The URL's protocol, checked before connecting so a typo is a usage error rather than a connection failure. */
function parseUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new UsageError(`--url '${value}' is not a URL; expected e.g. ${DEFAULT_URL}`);
  }
  if (!['ws:', 'wss:', 'http:', 'https:'].includes(url.protocol)) throw new UsageError(`--url '${value}' must start with ws:// or wss://`);
  return value;
}

/** Each line of stdin as it arrives, with its line break: the server speaks a line as soon as it ends. */
async function* stdinLines(): AsyncGenerator<string> {
  for await (const line of createInterface({ input: process.stdin, crlfDelay: Infinity })) yield `${line}\n`;
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** `chatterbox say`: a command-line client of the streaming endpoint. */
export async function sayCommand(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      url: { type: 'string', default: process.env.CHATTERBOX_URL ?? DEFAULT_URL },
      'api-key': { type: 'string', default: process.env.CHATTERBOX_API_KEY },
      voice: { type: 'string' },
      language: { type: 'string' },
      params: { type: 'string' },
      output: { type: 'string', short: 'o' },
      'stdin-stream': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(HELP);
    return;
  }
  const url = parseUrl(values.url);
  const params = values.params === undefined ? undefined : parseParamsFlag('--params', values.params);
  const streamed = values['stdin-stream'] === true;
  if (streamed && positionals.length > 0) throw new UsageError('--stdin-stream reads the text from stdin: pass no text argument');
  const fromStdin = positionals.length === 0 && !process.stdin.isTTY && !streamed;
  const text = streamed ? '' : fromStdin ? await readStdin() : positionals.join(' ');
  if (!streamed && text.trim() === '') throw new UsageError(fromStdin ? 'the text on stdin is empty' : 'no text given: pass it as an argument or on stdin');
  // With the WAV on stdout, everything else goes to stderr so the pipe carries only audio.
  const report = values.output === STDOUT_PATH ? console.error : console.log;

  const apiKey = values['api-key'];
  const client = await TtsClient.connect(url, apiKey ? { apiKey } : {});
  const rate = client.ready.sampleRate;
  let output: WavOutput | undefined;
  try {
    output = values.output === undefined ? undefined : await openWavOutput(values.output, rate);
    const options = {
      ...(values.voice === undefined ? {} : { voice: values.voice }),
      ...(values.language === undefined ? {} : { language: values.language }),
      ...(params ? { params } : {}),
    };
    const stream = streamed ? client.speakStream(stdinLines(), options) : client.speak(text, options);
    for await (const chunk of stream) await output?.append(chunk.pcm);
    const done = await stream.done;
    const seconds = done.samples / rate;
    report(
      `ttfa ${done.metrics.ttfaMs.toFixed(0)} ms  rtf ${done.metrics.rtf.toFixed(3)}  duration ${seconds.toFixed(2)} s  ` +
        `chunks ${done.chunks}  engine ${client.ready.engine} @ ${rate} Hz${values.output ? `  → ${values.output === STDOUT_PATH ? 'stdout' : values.output}` : ''}`,
    );
  } finally {
    await output?.close();
    await client.close();
  }
}
