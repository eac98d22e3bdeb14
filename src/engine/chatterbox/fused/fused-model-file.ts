// Builds the fused decode model once per pair of source graphs and keeps it on disk, keyed by the sources' identity
// (path, size, mtime), so later starts only read it. External weights are not copied: the cached model references
// them through links beside it, because onnxruntime resolves external-data locations relative to the model file and
// refuses locations that leave its directory.
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, linkSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { buildFusedDecodeModel, type FusedLayout } from './decode-graph.js';
import { readModelFile, writeModelFile } from './onnx-proto-io.js';

/** Bumped whenever the fused graph's structure changes, so cached files are rebuilt. */
export const FUSED_GRAPH_VERSION = 1;

/** What to wrap and where to keep the result. */
export interface FusedModelSource {
  embedPath: string;
  lmPath: string;
  stopToken: number;
  maxValidId: number | undefined;
  /** Cache directory; undefined tries the user's cache dir, then the OS temp dir. */
  cacheDir: string | undefined;
}

/** A fused model file ready for a session, with what its inputs need. */
export interface FusedModelFile {
  path: string;
  layout: FusedLayout;
  /** True when an earlier start had built it. */
  reused: boolean;
}

/** The cache directories tried in order. */
export function fusedCacheDirs(cacheDir: string | undefined): string[] {
  if (cacheDir !== undefined) return [cacheDir];
  const userCache = process.env['XDG_CACHE_HOME'] || join(homedir(), '.cache');
  return [join(userCache, 'chatterbox-stream', 'fused'), join(tmpdir(), 'chatterbox-stream-fused')];
}

function sourceKey(source: FusedModelSource): string {
  const identity = [source.embedPath, source.lmPath].map((path) => {
    const stat = statSync(path);
    return `${resolve(path)}|${stat.size}|${stat.mtimeMs}`;
  });
  const hash = createHash('sha256');
  hash.update(JSON.stringify({ version: FUSED_GRAPH_VERSION, identity, stop: source.stopToken, maxValid: source.maxValidId ?? null }));
  return hash.digest('hex').slice(0, 24);
}

/**
 * Returns the cached fused model for `source`, building it when absent. Throws UnwrappableModelError when the graphs
 * cannot be wrapped, and an Error naming every directory tried when none is writable.
 */
export function prepareFusedModelFile(source: FusedModelSource): FusedModelFile {
  const key = sourceKey(source);
  const problems: string[] = [];
  for (const root of fusedCacheDirs(source.cacheDir)) {
    const dir = join(root, key);
    const layoutPath = join(dir, 'layout.json');
    if (existsSync(layoutPath)) {
      return { path: join(dir, 'decode.onnx'), layout: JSON.parse(readFileSync(layoutPath, 'utf8')) as FusedLayout, reused: true };
    }
    try {
      return { path: join(buildInto(root, key, source), 'decode.onnx'), layout: JSON.parse(readFileSync(layoutPath, 'utf8')) as FusedLayout, reused: false };
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === undefined) throw err;
      problems.push(`${root}: ${code}`);
    }
  }
  throw new Error(`no writable cache directory for the fused decode graph (${problems.join('; ')})`);
}

// Writes into a temporary directory and renames it into place, so a concurrent start never reads half a model.
function buildInto(root: string, key: string, source: FusedModelSource): string {
  mkdirSync(root, { recursive: true });
  const temp = join(root, `.${key}.${process.pid}.${randomBytes(4).toString('hex')}`);
  const final = join(root, key);
  mkdirSync(temp);
  try {
    const links = new Map<string, string>();
    const { model, layout } = buildFusedDecodeModel({
      embed: readModelFile(source.embedPath),
      lm: readModelFile(source.lmPath),
      stopToken: source.stopToken,
      maxValidId: source.maxValidId,
      externalLocation: (location, graph) => {
        const target = resolve(dirname(graph === 'lm' ? source.lmPath : source.embedPath), location);
        const name = links.get(target) ?? `${graph}-${links.size}-${basename(location)}`;
        if (!links.has(target)) {
          linkBeside(target, join(temp, name));
          links.set(target, name);
        }
        return name;
      },
    });
    writeModelFile(model, join(temp, 'decode.onnx'));
    writeFileSync(join(temp, 'layout.json'), `${JSON.stringify(layout)}\n`);
    renameSync(temp, final);
  } catch (err) {
    rmSync(temp, { recursive: true, force: true });
    const code = (err as NodeJS.ErrnoException).code;
    // Another process finished the same key first: use theirs.
    if ((code === 'ENOTEMPTY' || code === 'EEXIST') && existsSync(join(final, 'layout.json'))) return final;
    throw err;
  }
  return final;
}

function linkBeside(target: string, link: string): void {
  try {
    symlinkSync(target, link);
  } catch {
    linkSync(target, link);
  }
}
