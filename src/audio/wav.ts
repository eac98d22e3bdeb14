/** A decoded WAV file: its rate, its channel count, and its samples mixed down to mono in [-1, 1]. */
export interface DecodedWav {
  sampleRateHz: number;
  channels: number;
  samples: Float32Array;
}

const FORMAT_PCM = 1;
const FORMAT_FLOAT = 3;
const FORMAT_EXTENSIBLE = 0xfffe;

interface WavFormat {
  format: number;
  channels: number;
  sampleRateHz: number;
  bitsPerSample: number;
}

/**
 * Decodes a RIFF/WAVE file (PCM 16/24/32-bit or float32, any channel count, mixed to mono).
 * Unknown chunks are skipped. A data chunk that claims more bytes than are present (as streaming
 * writers leave it) is read up to the last whole frame. Throws an Error on malformed or unsupported input.
 */
export function decodeWav(bytes: Uint8Array): DecodedWav {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.byteLength < 12 || fourCC(view, 0) !== 'RIFF' || fourCC(view, 8) !== 'WAVE') {
    throw new Error('WAV: not a RIFF/WAVE file');
  }
  let format: WavFormat | undefined;
  let offset = 12;
  while (offset + 8 <= bytes.byteLength) {
    const id = fourCC(view, offset);
    const size = view.getUint32(offset + 4, true);
    const body = offset + 8;
    if (id === 'fmt ') {
      format = parseFormat(view, body, size);
    } else if (id === 'data') {
      if (format === undefined) throw new Error('WAV: data chunk before fmt chunk');
      const available = Math.min(size, bytes.byteLength - body);
      return { sampleRateHz: format.sampleRateHz, channels: format.channels, samples: mixToMono(view, body, available, format) };
    }
    // Chunks are padded to an even length (RIFF spec), and the pad byte is not counted in `size`.
    offset = body + size + (size & 1);
  }
  throw new Error(format === undefined ? 'WAV: no fmt chunk' : 'WAV: no data chunk');
}

function fourCC(view: DataView, offset: number): string {
  return String.fromCharCode(view.getUint8(offset), view.getUint8(offset + 1), view.getUint8(offset + 2), view.getUint8(offset + 3));
}

function parseFormat(view: DataView, body: number, size: number): WavFormat {
  if (size < 16 || body + 16 > view.byteLength) throw new Error('WAV: fmt chunk too short');
  let format = view.getUint16(body, true);
  const channels = view.getUint16(body + 2, true);
  const sampleRateHz = view.getUint32(body + 4, true);
  const bitsPerSample = view.getUint16(body + 14, true);
  if (format === FORMAT_EXTENSIBLE) {
    // WAVEFORMATEXTENSIBLE: the real format tag is the first two bytes of the SubFormat GUID at offset 24.
    if (size < 40 || body + 26 > view.byteLength) throw new Error('WAV: extensible fmt chunk too short');
    format = view.getUint16(body + 24, true);
  }
  if (channels === 0) throw new Error('WAV: zero channels');
  if (sampleRateHz === 0) throw new Error('WAV: zero sample rate');
  const supported =
    (format === FORMAT_PCM && (bitsPerSample === 16 || bitsPerSample === 24 || bitsPerSample === 32)) || (format === FORMAT_FLOAT && bitsPerSample === 32);
  if (!supported) throw new Error(`WAV: unsupported encoding (format ${format}, ${bitsPerSample} bits)`);
  return { format, channels, sampleRateHz, bitsPerSample };
}

function mixToMono(view: DataView, body: number, byteLength: number, fmt: WavFormat): Float32Array {
  const bytesPerSample = fmt.bitsPerSample / 8;
  const frameBytes = bytesPerSample * fmt.channels;
  const frames = Math.floor(byteLength / frameBytes);
  const read = sampleReader(view, fmt);
  const out = new Float32Array(frames);
  for (let frame = 0; frame < frames; frame++) {
    let sum = 0;
    for (let channel = 0; channel < fmt.channels; channel++) {
      sum += read(body + frame * frameBytes + channel * bytesPerSample);
    }
    out[frame] = sum / fmt.channels;
  }
  return out;
}

function sampleReader(view: DataView, fmt: WavFormat): (offset: number) => number {
  if (fmt.format === FORMAT_FLOAT) return (o) => view.getFloat32(o, true);
  switch (fmt.bitsPerSample) {
    case 16:
      return (o) => view.getInt16(o, true) / 0x8000;
    case 24:
      return (o) => (view.getUint8(o) | (view.getUint8(o + 1) << 8) | (view.getInt8(o + 2) << 16)) / 0x800000;
    default:
      return (o) => view.getInt32(o, true) / 0x80000000;
  }
}
