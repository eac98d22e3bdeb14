// Builds the fused decode model once per pair of source graphs and keeps it on disk, keyed by the sources' identity
// (path, size, mtime), so later starts only read it. External weights are never copied: onnxruntime resolves
// external-data locations relative to the model file and refuses any that leave its directory (symlinks included,
// it resolves them), so the cached model sits beside hard links to them, or, where no hard link can be made (another
// filesystem), beside the source graphs themselves.
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, linkSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { buildFusedDecodeModel, type FusedLayout } from './decode-graph.js';
import { readModelFile, writeModelFile } from './onnx-proto-io.js';

/** Bumped whenever the fused graph's structure changes, so cached files are rebuilt. */
export const FUSED_GRAPH_VERSION = 3;

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
 * Returns the cached fused model for `source`, building it when absent: in the cache directory when the model has no
 * external weights or they can be hard-linked there (onnxruntime resolves symlinks and refuses targets outside the
 * model's directory), else beside the source graphs. Throws UnwrappableModelError when the graphs cannot be wrapped,
 * and an Error naming every place tried when none is writable.
 */
export function prepareFusedModelFile(source: FusedModelSource): FusedModelFile {
  const key = sourceKey(source);
  const beside = {
    model: join(dirname(source.lmPath), `fused-decode-${key}.onnx`),
    layout: join(dirname(source.lmPath), `fused-decode-${key}.json`),
    root: undefined,
  };
  const inCache = fusedCacheDirs(source.cacheDir).map((root) => ({ model: join(root, key, 'decode.onnx'), layout: join(root, key, 'layout.json'), root }));
  const places: Array<{ model: string; layout: string; root: string | undefined }> = [...inCache, beside];
  for (const place of places) {
    if (existsSync(place.layout)) return { path: place.model, layout: readLayout(place.layout), reused: true };
  }
  const problems: string[] = [];
  for (const place of places) {
    try {
      if (place.root !== undefined) buildInCache(place.root, key, source);
      else buildBeside(place.model, place.layout, source);
      return { path: place.model, layout: readLayout(place.layout), reused: false };
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === undefined) throw err;
      problems.push(`${dirname(place.model)}: ${code}`);
    }
  }
  throw new Error(`no writable cache directory for the fused decode graph (${problems.join('; ')})`);
}

function readLayout(path: string): FusedLayout {
  return JSON.parse(readFileSync(path, 'utf8')) as FusedLayout;
}

function build(source: FusedModelSource, externalLocation: (location: string, graph: 'embed' | 'lm') => string) {
  return buildFusedDecodeModel({
    embed: readModelFile(source.embedPath),
    lm: readModelFile(source.lmPath),
    stopToken: source.stopToken,
    maxValidId: source.maxValidId,
    externalLocation,
  });
}

// Writes into a temporary directory and renames it into place, so a concurrent start never reads half a model.
function buildInCache(root: string, key: string, source: FusedModelSource): void {
  mkdirSync(root, { recursive: true });
  const temp = join(root, `.${key}.${process.pid}.${randomBytes(4).toString('hex')}`);
  const final = join(root, key);
  mkdirSync(temp);
  try {
    const links = new Map<string, string>();
    const { model, layout } = build(source, (location, graph) => {
      const target = resolve(dirname(graph === 'lm' ? source.lmPath : source.embedPath), location);
      let name = links.get(target);
      if (name === undefined) {
        name = `${graph}-${links.size}-${basename(location)}`;
        linkSync(target, join(temp, name));
        links.set(target, name);
      }
      return name;
    });
    writeModelFile(model, join(temp, 'decode.onnx'));
    writeFileSync(join(temp, 'sources.json'), `${JSON.stringify([resolve(source.embedPath), resolve(source.lmPath)])}\n`);
    writeFileSync(join(temp, 'layout.json'), `${JSON.stringify(layout)}\n`);
    renameSync(temp, final);
    pruneOrphans(root);
  } catch (err) {
    rmSync(temp, { recursive: true, force: true });
    const code = (err as NodeJS.ErrnoException).code;
    // Another process finished the same key first: use theirs.
    if ((code === 'ENOTEMPTY' || code === 'EEXIST') && existsSync(join(final, 'layout.json'))) return;
    throw err;
  }
}

// Entries whose source graphs are gone (a deleted or moved model) would keep their hard-linked weights on disk.
function pruneOrphans(root: string): void {
  for (const entry of readdirSync(root)) {
    try {
      const sources = JSON.parse(readFileSync(join(root, entry, 'sources.json'), 'utf8')) as string[];
      if (!sources.every((path) => existsSync(path))) rmSync(join(root, entry), { recursive: true, force: true });
    } catch {
      // Not an entry of ours, or one being written: leave it.
    }
  }
}

// Beside the source graphs, external-data locations stay as they are; the layout file is written last and marks
// the model complete.
function buildBeside(modelPath: string, layoutPath: string, source: FusedModelSource): void {
  if (resolve(dirname(source.embedPath)) !== resolve(dirname(source.lmPath))) {
    throw Object.assign(new Error('embed_tokens and language_model are in different directories'), { code: 'EXDEV' });
  }
  const { model, layout } = build(source, (location) => location);
  const temp = `${modelPath}.${process.pid}.${randomBytes(4).toString('hex')}`;
  try {
    writeModelFile(model, temp);
    renameSync(temp, modelPath);
  } finally {
    rmSync(temp, { force: true });
  }
  const tempLayout = `${layoutPath}.${process.pid}`;
  writeFileSync(tempLayout, `${JSON.stringify(layout)}\n`);
  renameSync(tempLayout, layoutPath);
}
