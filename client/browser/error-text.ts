import { TtsError, type ErrorCode } from '../../src/protocol/errors.js';
import type { ReadyMessage } from '../../src/protocol/messages.js';
import { AudioUnavailableError } from './player.js';

/** An error as the page shows it: a sentence for people, and the code for bug reports. */
export interface ErrorText {
  text: string;
  code: string;
}

const TEXT: Record<ErrorCode, string | ((ready: ReadyMessage | undefined) => string)> = {
  TEXT_EMPTY: 'There is nothing to say: type some text first.',
  TEXT_TOO_LONG: (ready) =>
    `The text is too long: this server speaks at most ${ready ? ready.limits.maxTextChars.toLocaleString('en') : 'a limited number of'} characters at a time.`,
  TEXT_UNSPEAKABLE: 'The speech engine cannot say this text (a run of characters it cannot read); change the text and try again.',
  UNKNOWN_VOICE: 'That voice is not available on this server; pick one from the list.',
  UNKNOWN_LANGUAGE: 'The model on this server does not speak that language; pick one it lists.',
  BAD_PARAM: 'A model parameter is out of its allowed range.',
  BAD_FORMAT: 'The server does not offer that audio format.',
  BAD_FRAME: 'The server and this page could not understand each other (a bad frame).',
  BAD_MESSAGE: 'The server and this page could not understand each other (a malformed request).',
  UNKNOWN_TYPE: 'The server and this page could not understand each other (an unknown message).',
  DUPLICATE_ID: 'That request is already running.',
  TOO_MANY_REQUESTS: 'Too many requests at once on this connection; try again in a moment.',
  FRAME_TOO_LARGE: 'The request is too large for this server; try a shorter text.',
  BAD_JSON: 'The server could not read the request.',
  UNSUPPORTED_MEDIA_TYPE: 'The server could not read the request.',
  NOT_FOUND: 'The speech endpoint was not found on this server.',
  METHOD_NOT_ALLOWED: 'The speech endpoint was not found on this server.',
  SERVER_BUSY: 'The server is busy; try again in a moment.',
  DRAINING: 'The server is restarting; try again in a moment.',
  NOT_READY: 'The speech engine is still starting; try again shortly.',
  NO_BACKEND: 'Cannot reach a speech server right now; check that it is running and try again.',
  CLIENT_TOO_SLOW: 'The audio could not be delivered fast enough; check the network and try again.',
  BACKEND_LOST: 'The connection to the speech server was lost; press Speak to try again.',
  ENGINE_FAILED: 'The speech engine failed on this text; try again.',
  INTERNAL: 'Something went wrong on the server; try again.',
  UNAUTHORIZED: 'This server requires an API key; reload the page to enter one.',
  FORBIDDEN: 'This server does not accept requests from this page.',
  RATE_LIMITED: 'Too many requests for now; try again in a moment.',
  UNKNOWN_REQUEST: 'The server no longer knows that request; start it again.',
  INPUT_CLOSED: 'That request takes no more text.',
  INPUT_TIMEOUT: 'No text came for a while, so the server ended the request; type again to start a new one.',
  BAD_AUDIO: 'The voice clip is not audio the server can read (WAV, MP3, FLAC or Ogg), or it is cut short.',
  AUDIO_TOO_SHORT: 'The voice clip is too short; record a few more seconds.',
  AUDIO_TOO_LONG: 'The voice clip is too long; use a shorter one.',
  BAD_VOICE_NAME: "A voice name may hold only letters, digits, '-' and '_'.",
  VOICE_EXISTS: 'A voice of that name exists already; pick another name.',
  CLONING_UNSUPPORTED: 'The speech engine on this server has fixed voices and cannot clone one.',
  FANOUT_INCOMPLETE: 'Only some of the speech servers took the change; try again.',
};

/** Words for anything the page can fail with; never shows a stack, keeps the code for reference. */
export function describeError(err: unknown, ready?: ReadyMessage): ErrorText {
  if (err instanceof TtsError) {
    const text = TEXT[err.code];
    return { text: typeof text === 'function' ? text(ready) : text, code: err.code };
  }
  if (err instanceof AudioUnavailableError) return { text: `This browser cannot play the audio: ${err.message}.`, code: 'AUDIO' };
  if (err instanceof DOMException && err.name === 'NotSupportedError') {
    return { text: 'This browser cannot play audio at the stream’s sample rate.', code: 'AUDIO' };
  }
  return { text: 'Something went wrong in the page; reload and try again.', code: err instanceof Error ? err.name : 'UNKNOWN' };
}
