// The `chatterbox` command as a child process, for tests of the CLI and of the commands behind it.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { withTimeout } from './raw-stream.js';

/** What a finished CLI run left: its exit code (null when killed) and everything it printed. */
export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs `node bin/chatterbox.js ...args` (from the repository root) without blocking this process, so an
 * in-process worker keeps serving it. Rejects, and kills the child, when it has not exited within 20 s.
 */
export async function runChatterboxCli(args: string[]): Promise<CliResult> {
  const child = spawn(process.execPath, ['bin/chatterbox.js', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const [code] = (await withTimeout(once(child, 'close'), 20_000, `chatterbox ${args[0]}`).catch((err: unknown) => {
    child.kill('SIGKILL');
    throw err;
  })) as [number | null];
  return { code, stdout, stderr };
}
