import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Packr } from 'msgpackr';
import { TtsError, isErrorCode, type ErrorCode } from '../../src/protocol/errors.js';

/**
 * Cases per property: `base` in the suite (a few seconds for all fuzz tests together); `npm run fuzz` sets
 * CHATTERBOX_FUZZ_RUNS to run every property that many times instead.
 */
export function fuzzRuns(base: number): number {
  const fromEnv = Number(process.env.CHATTERBOX_FUZZ_RUNS);
  return Number.isInteger(fromEnv) && fromEnv > 0 ? fromEnv : base;
}

/** fast-check parameters for a property with `base` runs in the suite. */
export function fuzzParameters(base: number): fc.Parameters<unknown> {
  return { numRuns: fuzzRuns(base) };
}

/** Asserts `err` is a TtsError with a known code, one of `codes` when given. */
export function assertCodedError(err: unknown, codes?: readonly ErrorCode[]): asserts err is TtsError {
  assert.ok(err instanceof TtsError, `threw ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)} rather than a TtsError`);
  assert.ok(isErrorCode(err.code), `unknown code ${String(err.code)}`);
  if (codes) assert.ok(codes.includes(err.code), `unexpected code ${err.code}: ${err.message}`);
}

/** Runs `parse`; its value, or undefined after checking that it threw a coded error (one of `codes`). */
export function valueOrCodedError<T>(parse: () => T, codes?: readonly ErrorCode[]): T | undefined {
  try {
    return parse();
  } catch (err) {
    assertCodedError(err, codes);
    return undefined;
  }
}

/** One edit of a byte string: flip, overwrite, insert, delete, truncate or repeat a slice. */
type Mutation =
  { kind: 'set' | 'insert'; at: number; byte: number } | { kind: 'delete' | 'truncate'; at: number } | { kind: 'repeat'; at: number; length: number };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constantFrom('set' as const, 'insert' as const), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constantFrom('delete' as const, 'truncate' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('repeat' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 16 }) }),
);

function applyMutation(bytes: number[], m: Mutation): number[] {
  if (bytes.length === 0) return m.kind === 'insert' || m.kind === 'set' ? [m.byte] : bytes;
  const at = m.at % bytes.length;
  switch (m.kind) {
    case 'set':
      return bytes.map((b, i) => (i === at ? m.byte : b));
    case 'insert':
      return [...bytes.slice(0, at), m.byte, ...bytes.slice(at)];
    case 'delete':
      return [...bytes.slice(0, at), ...bytes.slice(at + 1)];
    case 'truncate':
      return bytes.slice(0, at);
    case 'repeat':
      return [...bytes.slice(0, at + m.length), ...bytes.slice(at)];
  }
}

/** Byte strings made from those of `valid` by a few random edits: inputs that are nearly right. */
export function mutated(valid: fc.Arbitrary<Uint8Array>, maxEdits = 4): fc.Arbitrary<Uint8Array> {
  return fc
    .tuple(valid, fc.array(mutation, { minLength: 1, maxLength: maxEdits }))
    .map(([bytes, edits]) => Uint8Array.from(edits.reduce(applyMutation, Array.from(bytes))));
}

const valuePackr = new Packr({ useRecords: false, moreTypes: false });

/** How a raw map's header is written: as small as possible, or as map16 / map32 (all legal msgpack). */
export type MapHeader = 'fix' | 'map16' | 'map32';

/**
 * A msgpack map with these key/value pairs in this order, duplicates included (which a JavaScript object cannot
 * hold): for inputs whose layout matters, such as a relay that reads the first key off the bytes.
 */
export function packPairs(pairs: ReadonlyArray<readonly [string, unknown]>, header: MapHeader = 'fix'): Uint8Array {
  const n = pairs.length;
  const head =
    header === 'fix' && n < 16
      ? [0x80 | n]
      : header === 'map32'
        ? [0xdf, (n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff]
        : [0xde, (n >>> 8) & 0xff, n & 0xff];
  const parts = [Uint8Array.from(head), ...pairs.flatMap(([key, value]) => [valuePackr.pack(key), valuePackr.pack(value)])];
  const out = new Uint8Array(parts.reduce((sum, p) => sum + p.byteLength, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.byteLength;
  }
  return out;
}
