import { encodeS16le } from '../../audio/pcm.js';
import { encodeWavHeader } from '../../audio/wav-header.js';
import type { SynthesisParams } from '../../protocol/messages.js';

/**
 * The RIFF chunk that carries a voice's default parameters as JSON inside its WAV file, so that a voice is one file,
 * written by one rename, and copied or fanned out whole. WAV readers skip chunks they do not know.
 */
const PARAMS_CHUNK = 'cbxp';

/** A stored voice's WAV file: 16-bit mono at `sampleRateHz`, with its default parameters in a `cbxp` chunk. */
export function encodeVoiceFile(samples: Float32Array, sampleRateHz: number, params: SynthesisParams): Uint8Array {
  const pcm = encodeS16le(samples);
  const json = new TextEncoder().encode(JSON.stringify({ params }));
  const padded = json.length + (json.length & 1);
  const header = encodeWavHeader({ sampleRateHz, format: 's16le', dataBytes: pcm.length });
  const out = new Uint8Array(header.length + 8 + padded + pcm.length);
  const view = new DataView(out.buffer);
  // fmt chunk as written by encodeWavHeader, then ours, then the data chunk.
  out.set(header.subarray(0, 36), 0);
  for (let i = 0; i < 4; i++) out[36 + i] = PARAMS_CHUNK.charCodeAt(i);
  view.setUint32(40, json.length, true);
  out.set(json, 44);
  out.set(header.subarray(36), 44 + padded);
  out.set(pcm, 52 + padded);
  view.setUint32(4, out.length - 8, true);
  return out;
}

/** What a voice file holds besides its samples. */
export interface VoiceFileFacts {
  /** Default parameters; {} when the file has none or they cannot be read. */
  params: SynthesisParams;
  /** Bytes of its data chunk (16-bit samples: two per sample). */
  dataBytes: number;
}

function parseParams(json: Uint8Array): SynthesisParams {
  const params: SynthesisParams = {};
  try {
    const parsed = JSON.parse(new TextDecoder().decode(json)) as { params?: unknown };
    if (typeof parsed.params === 'object' && parsed.params !== null) {
      for (const [name, value] of Object.entries(parsed.params)) if (typeof value === 'number' && Number.isFinite(value)) params[name] = value;
    }
  } catch {
    // A voice copied in by hand with a damaged chunk still speaks, with the engine's defaults.
  }
  return params;
}

/** Reads a voice file's default parameters and data length (any WAV works: one without our chunk has no defaults). */
export function readVoiceFile(bytes: Uint8Array): VoiceFileFacts {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let params: SynthesisParams = {};
  let offset = 12;
  while (offset + 8 <= bytes.length) {
    const id = String.fromCharCode(...bytes.subarray(offset, offset + 4));
    const size = view.getUint32(offset + 4, true);
    if (id === 'data') return { params, dataBytes: Math.min(size, bytes.length - offset - 8) };
    if (id === PARAMS_CHUNK && offset + 8 + size <= bytes.length) params = parseParams(bytes.subarray(offset + 8, offset + 8 + size));
    offset += 8 + size + (size & 1);
  }
  return { params, dataBytes: 0 };
}
