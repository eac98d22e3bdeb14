// The `chatterbox` command (and npm) as child processes, for tests of the CLI and of the commands behind it.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { withTimeout } from './raw-stream.js';

/** What a finished run left: its exit code (null when killed) and everything it printed. */
export interface CliResult {
  code: number | null;
  stdout: string;
  /** stdout as bytes, for commands that write binary output (a WAV) to it. */
  stdoutBytes: Buffer;
  stderr: string;
}

/** How to run the child: its environment (default: this process's) and what to write to its stdin. */
export interface RunOptions {
  env?: NodeJS.ProcessEnv;
  /** Written to the child's stdin, which is then closed (at once, empty, without it). */
  stdin?: string;
  /** Kill the child and reject after this long (default 20 s). */
  timeoutMs?: number;
}

/**
 * Runs a command from the repository root without blocking this process, so an in-process worker keeps
 * serving it. Rejects, and kills the child, when it has not exited within the timeout.
 */
export async function runProcess(command: string, args: string[], options: RunOptions = {}): Promise<CliResult> {
  const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'], env: options.env ?? process.env });
  const stdout: Buffer[] = [];
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => stdout.push(d));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdin.end(options.stdin ?? '');
  const [code] = (await withTimeout(once(child, 'close'), options.timeoutMs ?? 20_000, `${command} ${args[0]}`).catch((err: unknown) => {
    child.kill('SIGKILL');
    throw err;
  })) as [number | null];
  const stdoutBytes = Buffer.concat(stdout);
  return { code, stdout: stdoutBytes.toString(), stdoutBytes, stderr };
}

/** Runs `node bin/chatterbox.js ...args` (see runProcess). */
export function runChatterboxCli(args: string[], options: RunOptions = {}): Promise<CliResult> {
  return runProcess(process.execPath, ['bin/chatterbox.js', ...args], options);
}
