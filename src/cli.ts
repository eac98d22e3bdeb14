import { UsageError } from './cli/usage-error.js';
import { ConfigError } from './config/settings.js';
import { TtsError } from './protocol/errors.js';
import { StartupError } from './transport/startup-error.js';
import { VERSION } from './version.js';

const USAGE = `chatterbox ${VERSION}: streaming text-to-speech backend

Usage: chatterbox <command> [options]

Commands:
  up           run the whole backend on this machine: workers on 6093, 6094 and the balancer on 6095
  serve        run one worker (one GPU): WebSocket /v1/stream, POST /v1/tts, /health, /metrics
  balance      run the load balancer: pins each session to the least-loaded healthy worker
  say TEXT     speak TEXT (or stdin) through the balancer on 6095; -o FILE, or -o - for stdout, writes a WAV
  check-model DIR       print a Chatterbox ONNX directory's signature and whether it is usable
  tokens --model DIR T  print the speech tokens the model generates for text T, as JSON

Run 'chatterbox <command> --help' for a command's options (README.md lists them all).`;

const COMMANDS: Record<string, () => Promise<(argv: string[]) => Promise<void>>> = {
  up: async () => (await import('./cli/up.js')).upCommand,
  serve: async () => (await import('./cli/serve.js')).serveCommand,
  balance: async () => (await import('./cli/balance.js')).balanceCommand,
  say: async () => (await import('./cli/say.js')).sayCommand,
  'check-model': async () => (await import('./cli/check-model.js')).checkModelCommand,
  tokens: async () => (await import('./cli/tokens.js')).tokensCommand,
};

async function main(argv: string[]): Promise<void> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    console.log(USAGE);
    return;
  }
  if (name === '--version' || name === '-v') {
    console.log(VERSION);
    return;
  }
  const load = COMMANDS[name];
  if (!load) {
    console.error(`chatterbox: unknown command '${name}' (run 'chatterbox --help' for the list)`);
    process.exit(2);
  }
  const command = await load();
  await command(rest);
}

/** A Node system error (file system, sockets): its message already names the call and the path. */
function isSystemError(err: unknown): err is NodeJS.ErrnoException {
  return err instanceof Error && typeof (err as NodeJS.ErrnoException).syscall === 'string';
}

const [commandName] = process.argv.slice(2);
main(process.argv.slice(2)).catch((err: unknown) => {
  // Usage errors exit 2 with one line naming the problem; failures while running exit 1.
  if (err instanceof UsageError) {
    console.error(`chatterbox ${commandName}: ${err.message} (see 'chatterbox ${commandName} --help')`);
    process.exit(2);
  }
  if (err instanceof ConfigError) {
    console.error(`chatterbox ${commandName}: invalid configuration: ${err.problems.join('; ')}`);
    process.exit(2);
  }
  const code = (err as { code?: string }).code;
  if (code?.startsWith('ERR_PARSE_ARGS')) {
    console.error(`chatterbox ${commandName}: ${(err as Error).message}`);
    process.exit(2);
  }
  if (err instanceof StartupError) {
    console.error(`error ${err.code}: ${err.message}`);
    process.exit(err.exitCode);
  }
  if (err instanceof TtsError) {
    console.error(`error ${err.code}: ${err.message}`);
    process.exit(1);
  }
  if (isSystemError(err)) {
    console.error(`error: ${err.message}`);
    process.exit(1);
  }
  console.error(err);
  process.exit(1);
});
