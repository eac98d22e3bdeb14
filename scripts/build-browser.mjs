#!/usr/bin/env node
// Bundles the browser page and client with esbuild into dist/client/browser (run by `npm run build`, after tsc):
//   index.html                          the page (stable name, served with no-cache)
//   tts-client.js                       the client module other web apps import (stable name, no-cache)
//   assets/app-HASH.js, styles-HASH.css, player-worklet-HASH.js   content-hashed, cached for good
// Type-checking is tsc's job (client/browser/tsconfig.json); esbuild only strips types and bundles.
import { build } from 'esbuild';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const source = join(root, 'client/browser');
const out = join(root, 'dist/client/browser');

const common = {
  bundle: true,
  format: 'esm',
  platform: 'browser',
  // Chromium 100+, Firefox 100+, Safari 15.4+: all have AudioWorklet and the ES2022 syntax used here.
  target: ['es2022', 'chrome100', 'firefox100', 'safari15'],
  minify: true,
  sourcemap: 'linked',
  legalComments: 'none',
  logLevel: 'warning',
  metafile: true,
  absWorkingDir: root,
};

/** The one output file of a build whose entry point is `entry`, as a path relative to `out`. */
function outputOf(result, entry) {
  for (const [file, meta] of Object.entries(result.metafile.outputs)) {
    if (meta.entryPoint === relative(root, join(source, entry))) return relative(out, join(root, file)).replaceAll('\\', '/');
  }
  throw new Error(`esbuild wrote no output for ${entry}`);
}

/** Fails the build when a bundle pulled in a Node built-in: browser code may only use web-standard modules. */
function assertNoNodeModules(result) {
  const nodeInputs = Object.keys(result.metafile.inputs).filter((input) => input.startsWith('node:'));
  if (nodeInputs.length > 0) throw new Error(`browser bundle imports Node modules: ${nodeInputs.join(', ')}`);
}

mkdirSync(out, { recursive: true });

// The worklet loads by URL into the audio thread, so it is a bundle of its own.
const worklet = await build({ ...common, entryPoints: [join(source, 'player-worklet.ts')], outdir: out, entryNames: 'assets/[name]-[hash]' });
const workletFile = outputOf(worklet, 'player-worklet.ts');

const page = await build({
  ...common,
  entryPoints: [join(source, 'app.ts'), join(source, 'styles.css')],
  outdir: out,
  entryNames: 'assets/[name]-[hash]',
  // Relative to the page, so it also works behind a proxy that serves it under a path prefix.
  define: { __WORKLET_URL__: JSON.stringify(workletFile) },
});

const library = await build({ ...common, entryPoints: [join(source, 'tts-browser-client.ts')], outfile: join(out, 'tts-client.js') });
for (const result of [worklet, page, library]) assertNoNodeModules(result);

const html = readFileSync(join(source, 'index.html'), 'utf8').replace('{{APP}}', outputOf(page, 'app.ts')).replace('{{STYLES}}', outputOf(page, 'styles.css'));
if (html.includes('{{')) throw new Error('index.html has a placeholder the build did not fill');
writeFileSync(join(out, 'index.html'), html);

const files = [...Object.keys(worklet.metafile.outputs), ...Object.keys(page.metafile.outputs), ...Object.keys(library.metafile.outputs)].filter(
  (f) => !f.endsWith('.map'),
);
console.log(`browser page → ${relative(root, out)}: index.html, ${files.map((f) => basename(f)).join(', ')}`);
