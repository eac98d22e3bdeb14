import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { withTimeout } from './raw-stream.js';

/** The repository root (tests run from it). */
export const REPO = resolve('.');
/** The management script under test. */
export const SCRIPT = join(REPO, 'systemd', 'manage-backend-services.sh');
/** The units committed in systemd/. */
export const COMMITTED_UNITS = ['chatterbox-gpu0.service', 'chatterbox-gpu1.service', 'chatterbox-loadbalancer.service', 'chatterbox-backend.target'];

/** A parsed unit file: each section's settings in file order (a key may repeat). */
export interface UnitFile {
  sections: Map<string, Array<[string, string]>>;
  /** Every value of `key` in `section`, in order. */
  all(section: string, key: string): string[];
  /** The last value of `key` in `section` (systemd's rule for single-valued settings), or undefined. */
  get(section: string, key: string): string | undefined;
}

/** Parses systemd unit syntax (systemd.syntax(7)): [Section], Key=Value, comments with # or ;. */
export function parseUnit(text: string): UnitFile {
  const sections = new Map<string, Array<[string, string]>>();
  let current: Array<[string, string]> | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const header = /^\[(.+)\]$/.exec(line);
    if (header) {
      current = sections.get(header[1]!) ?? [];
      sections.set(header[1]!, current);
      continue;
    }
    const eq = line.indexOf('=');
    if (!current || eq < 0) throw new Error(`not unit syntax: ${raw}`);
    current.push([line.slice(0, eq).trim(), line.slice(eq + 1).trim()]);
  }
  const all = (section: string, key: string) => (sections.get(section) ?? []).filter(([k]) => k === key).map(([, v]) => v);
  return { sections, all, get: (section, key) => all(section, key).at(-1) };
}

/** Reads and parses a unit file. */
export function readUnit(path: string): UnitFile {
  return parseUnit(readFileSync(path, 'utf8'));
}

/** Parses an EnvironmentFile: KEY=VALUE lines, comments and blanks skipped, surrounding quotes removed. */
export function parseEnvFile(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const eq = line.indexOf('=');
    if (eq < 0) continue;
    env[line.slice(0, eq).trim()] = line
      .slice(eq + 1)
      .trim()
      .replace(/^"(.*)"$|^'(.*)'$/, '$1$2');
  }
  return env;
}

/** Runs the script's `render` into `dir` with the given app directory, node binary and GPU count. */
export function renderUnits(dir: string, options: { appDir: string; nodeBin: string; gpus: number }): void {
  execFileSync('bash', [SCRIPT, 'render', dir, '--gpus', String(options.gpus)], {
    env: { ...process.env, APP_DIR: options.appDir, NODE_BIN: options.nodeBin },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
}

/** A TCP port that was free a moment ago on 127.0.0.1. */
export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  server.close();
  await once(server, 'close');
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

/**
 * Recording stand-ins: an executable `name` in `dir` for each entry, which appends "name arg1 arg2 ..." to the file
 * in $FAKE_LOG and then runs the entry's shell snippet (with "$@" the arguments), if any.
 */
export function writeFakeCommands(dir: string, commands: Record<string, string>): void {
  mkdirSync(dir, { recursive: true });
  for (const [name, body] of Object.entries(commands)) {
    const path = join(dir, name);
    writeFileSync(path, `#!/bin/bash\nprintf '%s\\n' "${name} $*" >> "$FAKE_LOG"\n${body}\n`);
    chmodSync(path, 0o755);
  }
}

/** The calls the stand-ins recorded, one string per call. */
export function readFakeLog(path: string): string[] {
  try {
    return readFileSync(path, 'utf8').split('\n').filter(Boolean);
  } catch {
    return [];
  }
}

/** Runs the management script; resolves with its exit code and output (never rejects on a non-zero exit). */
export async function runScript(
  args: string[],
  options: { env: Record<string, string>; input?: string; script?: string; timeoutMs?: number },
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn('bash', [options.script ?? SCRIPT, ...args], {
    env: options.env,
    stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  // A script that exits before reading all its input closes the pipe: that is its business, not an error here.
  child.stdin?.on('error', () => undefined);
  child.stdin?.end(options.input);
  const [code] = (await withTimeout(once(child, 'close'), options.timeoutMs ?? 30_000, `manage-backend-services.sh ${args.join(' ')}`).catch((err: unknown) => {
    child.kill('SIGKILL');
    throw err;
  })) as [number | null];
  return { code, stdout, stderr };
}

/** True when `command` is on PATH. */
export function hasCommand(command: string): boolean {
  try {
    execFileSync('bash', ['-c', `command -v ${command}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
