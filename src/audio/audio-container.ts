/** Containers an upload may come in. */
export type AudioContainer = 'wav' | 'flac' | 'ogg-vorbis' | 'ogg-opus' | 'mp3';

/** What `inspectContainer` found: the container, or why the bytes cannot be audio we read. */
export type ContainerVerdict = { ok: true; container: AudioContainer } | { ok: false; reason: string };

const ascii = (bytes: Uint8Array, offset: number, length: number) => String.fromCharCode(...bytes.subarray(offset, offset + length));

/**
 * Names the container from its magic bytes and checks that its own length fields agree with the bytes present,
 * so a truncated file or one whose header lies is refused before any decoder guesses around it.
 */
export function inspectContainer(bytes: Uint8Array): ContainerVerdict {
  if (bytes.length === 0) return { ok: false, reason: 'the file is empty' };
  if (bytes.length >= 12 && ascii(bytes, 0, 4) === 'RIFF' && ascii(bytes, 8, 4) === 'WAVE') return checkWav(bytes);
  if (bytes.length >= 4 && ascii(bytes, 0, 4) === 'fLaC') return checkFlac(bytes);
  if (bytes.length >= 4 && ascii(bytes, 0, 4) === 'OggS') return checkOgg(bytes);
  if ((bytes.length >= 3 && ascii(bytes, 0, 3) === 'ID3') || isMpegSync(bytes, 0)) return checkMp3(bytes);
  return { ok: false, reason: 'not WAV, MP3, FLAC or Ogg (Vorbis/Opus) audio' };
}

function checkWav(bytes: Uint8Array): ContainerVerdict {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getUint32(4, true) + 8 > bytes.length) return { ok: false, reason: 'WAV: the RIFF header claims more bytes than were sent (truncated?)' };
  let offset = 12;
  while (offset + 8 <= bytes.length) {
    const size = view.getUint32(offset + 4, true);
    if (ascii(bytes, offset, 4) === 'data') {
      if (offset + 8 + size > bytes.length) return { ok: false, reason: 'WAV: the data chunk claims more bytes than were sent (truncated?)' };
      return { ok: true, container: 'wav' };
    }
    offset += 8 + size + (size & 1);
  }
  return { ok: false, reason: 'WAV: no data chunk' };
}

// FLAC: STREAMINFO is the first metadata block; its 36-bit total-samples field is checked against the decoded count later.
function checkFlac(bytes: Uint8Array): ContainerVerdict {
  if (bytes.length < 42 || (bytes[4]! & 0x7f) !== 0) return { ok: false, reason: 'FLAC: no STREAMINFO block' };
  return { ok: true, container: 'flac' };
}

/** FLAC's declared length in samples per channel (0: unknown), from STREAMINFO. */
export function flacTotalSamples(bytes: Uint8Array): number {
  const b = bytes.subarray(8 + 13, 8 + 18);
  return (b[0]! & 0x0f) * 2 ** 32 + ((b[1]! << 24) >>> 0) + (b[2]! << 16) + (b[3]! << 8) + b[4]!;
}

// Ogg: every page must be whole, and the last one must carry the end-of-stream flag.
function checkOgg(bytes: Uint8Array): ContainerVerdict {
  let offset = 0;
  let lastFlags = 0;
  let codec: AudioContainer | undefined;
  while (offset < bytes.length) {
    if (offset + 27 > bytes.length || ascii(bytes, offset, 4) !== 'OggS') return { ok: false, reason: 'Ogg: a page is cut short or corrupt' };
    const segments = bytes[offset + 26]!;
    const headerLength = 27 + segments;
    if (offset + headerLength > bytes.length) return { ok: false, reason: 'Ogg: a page is cut short' };
    let bodyLength = 0;
    for (let i = 0; i < segments; i++) bodyLength += bytes[offset + 27 + i]!;
    if (offset + headerLength + bodyLength > bytes.length) return { ok: false, reason: 'Ogg: the last page is cut short (truncated?)' };
    if (codec === undefined) {
      const body = offset + headerLength;
      if (ascii(bytes, body, 8) === 'OpusHead') codec = 'ogg-opus';
      else if (ascii(bytes, body, 7) === '\x01vorbis') codec = 'ogg-vorbis';
      else return { ok: false, reason: 'Ogg: neither Vorbis nor Opus' };
    }
    lastFlags = bytes[offset + 5]!;
    offset += headerLength + bodyLength;
  }
  if ((lastFlags & 0x04) === 0) return { ok: false, reason: 'Ogg: no end-of-stream page (truncated?)' };
  return { ok: true, container: codec! };
}

function isMpegSync(bytes: Uint8Array, offset: number): boolean {
  return offset + 4 <= bytes.length && bytes[offset] === 0xff && (bytes[offset + 1]! & 0xe0) === 0xe0;
}

const MPEG1_L3_KBPS = [0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320];
const MPEG2_L3_KBPS = [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160];
const RATES_HZ = [44_100, 48_000, 32_000];

/** Bytes of the MPEG layer III frame at `offset`, or undefined when no valid frame header is there. */
function mp3FrameLength(bytes: Uint8Array, offset: number): number | undefined {
  if (!isMpegSync(bytes, offset)) return undefined;
  const version = (bytes[offset + 1]! >> 3) & 3; // 3: MPEG-1, 2: MPEG-2, 0: MPEG-2.5
  const layer = (bytes[offset + 1]! >> 1) & 3; // 1: layer III
  const bitrateIndex = bytes[offset + 2]! >> 4;
  const rateIndex = (bytes[offset + 2]! >> 2) & 3;
  if (version === 1 || layer !== 1 || bitrateIndex === 0 || bitrateIndex === 15 || rateIndex === 3) return undefined;
  const mpeg1 = version === 3;
  const kbps = (mpeg1 ? MPEG1_L3_KBPS : MPEG2_L3_KBPS)[bitrateIndex]!;
  const rateHz = RATES_HZ[rateIndex]! / (mpeg1 ? 1 : version === 2 ? 2 : 4);
  const padding = (bytes[offset + 2]! >> 1) & 1;
  return Math.floor(((mpeg1 ? 144 : 72) * kbps * 1000) / rateHz) + padding;
}

// MP3 has no length field: walk the frames after any ID3v2 tag; the last one must end within the bytes sent.
function checkMp3(bytes: Uint8Array): ContainerVerdict {
  let offset = 0;
  if (ascii(bytes, 0, 3) === 'ID3') {
    if (bytes.length < 10) return { ok: false, reason: 'MP3: the ID3 tag is cut short' };
    offset = 10 + ((bytes[6]! & 0x7f) << 21) + ((bytes[7]! & 0x7f) << 14) + ((bytes[8]! & 0x7f) << 7) + (bytes[9]! & 0x7f);
  }
  let frames = 0;
  while (offset < bytes.length) {
    const length = mp3FrameLength(bytes, offset);
    if (length === undefined) {
      // An ID3v1 or APE tag may follow the last frame.
      if (frames > 0 && (ascii(bytes, offset, 3) === 'TAG' || ascii(bytes, offset, 8) === 'APETAGEX')) break;
      return { ok: false, reason: frames === 0 ? 'MP3: no MPEG layer III frame' : 'MP3: junk between frames' };
    }
    if (offset + length > bytes.length) return { ok: false, reason: 'MP3: the last frame is cut short (truncated?)' };
    offset += length;
    frames += 1;
  }
  return { ok: true, container: 'mp3' };
}
