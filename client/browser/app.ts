// The demo page: speaks through the same /v1/stream protocol as every client, from the server that served it.
import { connectWithApiKey } from './api-key.js';
import { element } from './dom.js';
import { describeError } from './error-text.js';
import { createLiveView, phaseAfter, type Phase, type Utterance } from './live-view.js';
import { createParamsForm, type ParamsForm } from './params-form.js';
import { createPlayer, DEFAULT_PLAYER_TIMING, type Player } from './player.js';
import type { PlayerReport } from './player-protocol.js';
import { encodeS16le } from '../../src/audio/pcm.js';
import { canDecodeOpusAt, createOpusStreamDecoder, type OpusStreamDecoder } from './opus-stream-decoder.js';
import { createRecording } from './recording.js';
import { toFloat32, type BrowserTtsClient, type ReadyMessage } from './tts-browser-client.js';
import { createTypedInput, type TypedInput } from './typed-input.js';

/** The hashed file name of the player worklet, relative to the page; set by scripts/build-browser.mjs. */
declare const __WORKLET_URL__: string;

const ui = {
  connection: element('connection'),
  text: element<HTMLTextAreaElement>('text'),
  charCount: element('char-count'),
  voice: element<HTMLSelectElement>('voice'),
  format: element<HTMLSelectElement>('format'),
  language: element<HTMLSelectElement>('language'),
  languageField: element<HTMLElement>('language-field'),
  prebuffer: element<HTMLInputElement>('prebuffer'),
  params: element('params'),
  resetParams: element<HTMLButtonElement>('reset-params'),
  speak: element<HTMLButtonElement>('speak'),
  typeAsYouGo: element<HTMLInputElement>('type-as-you-go'),
  stop: element<HTMLButtonElement>('stop'),
  download: element<HTMLButtonElement>('download'),
  error: element('error'),
  errorText: element('error-text'),
  errorCode: element('error-code'),
  serverInfo: element('server-info'),
};

const view = createLiveView();
let client: BrowserTtsClient | undefined;
let connecting: Promise<BrowserTtsClient> | undefined;
let params: ParamsForm | undefined;
let player: Promise<Player> | undefined;
let current: Utterance | undefined;
/** The Opus decoder of each utterance that asked for `opus`. */
const opusDecoders = new WeakMap<Utterance, OpusStreamDecoder>();
/** In "type as you go" mode, the input of the request being typed. */
let typed: TypedInput | undefined;
let typedUtterance: Utterance | undefined;
/** Counts presses of Speak, so a press that is still connecting knows when a later one replaced it. */
let presses = 0;
let phase: Phase = 'idle';
let suspendTimer: ReturnType<typeof setTimeout> | undefined;
/** How long the audio context keeps running after playback ends, in ms. */
const SUSPEND_AFTER_IDLE_MS = 20_000;

const query = new URLSearchParams(location.search);
ui.prebuffer.value = query.get('prebufferMs') ?? String(DEFAULT_PLAYER_TIMING.prebufferMs);

function prebufferMs(): number {
  const ms = Number(ui.prebuffer.value);
  return Number.isFinite(ms) ? Math.min(2000, Math.max(0, ms)) : DEFAULT_PLAYER_TIMING.prebufferMs;
}

function setPhase(next: Phase): void {
  phase = next;
  view.showPhase(next);
  const active = next === 'connecting' || next === 'waiting' || next === 'buffering' || next === 'playing' || next === 'stopping';
  ui.stop.disabled = !active;
  clearTimeout(suspendTimer);
  // A running context renders the worklet every 128 frames even in silence: let an idle page rest (Speak resumes it).
  if (!active) suspendTimer = setTimeout(() => void player?.then((p) => p.context.suspend()).catch(() => undefined), SUSPEND_AFTER_IDLE_MS);
}

function showError(err: unknown): void {
  const { text, code } = describeError(err, client?.ready);
  ui.errorText.textContent = text;
  ui.errorCode.textContent = code;
  ui.error.hidden = false;
}

function hideError(): void {
  ui.error.hidden = true;
}

function setConnection(state: 'connecting' | 'connected' | 'disconnected' | 'offline', ready?: ReadyMessage): void {
  ui.connection.dataset.state = state;
  ui.connection.textContent =
    state === 'connected' && ready
      ? `Connected · ${ready.engine} · ${ready.sampleRate / 1000} kHz`
      : { connecting: 'Connecting…', connected: 'Connected', disconnected: 'Disconnected · reconnects on Speak', offline: 'Offline' }[state];
}

function updateCharCount(): void {
  const max = client?.ready.limits.maxTextChars;
  const count = [...ui.text.value].length;
  ui.charCount.textContent = max === undefined ? `${count} characters` : `${count.toLocaleString('en')} / ${max.toLocaleString('en')}`;
  ui.charCount.classList.toggle('over', max !== undefined && count > max);
}

/** Fills a select with `values`, marking the default and keeping the user's choice where it still applies. */
function fillSelect(select: HTMLSelectElement, values: readonly string[], fallback: string): void {
  const chosen = select.value;
  select.replaceChildren(
    ...values.map((value) => {
      const option = document.createElement('option');
      option.value = value;
      option.textContent = value === fallback ? `${value} (default)` : value;
      return option;
    }),
  );
  select.value = values.includes(chosen) ? chosen : fallback;
  select.disabled = false;
}

/** Fills the voice and language lists and the parameters from `ready`. */
function applyReady(ready: ReadyMessage): void {
  fillSelect(ui.voice, ready.voices, ready.defaultVoice);
  // Older servers send no languages; English-only ones send just one, which needs no choice.
  const languages = ready.languages ?? [];
  ui.languageField.hidden = languages.length < 2;
  if (languages.length > 0) fillSelect(ui.language, languages, ready.defaultLanguage);
  if (!params) params = createParamsForm(ui.params, ready.params);
  ui.serverInfo.textContent = `${ready.engine} engine · ${ready.sampleRate.toLocaleString('en')} Hz · protocol ${ready.protocol} · up to ${ready.limits.maxTextChars.toLocaleString('en')} characters per request`;
  updateCharCount();
}

/** The open connection, connecting (again) when there is none: the server closes idle sockets. */
function ensureClient(): Promise<BrowserTtsClient> {
  if (client?.isOpen) return Promise.resolve(client);
  connecting ??= (async () => {
    setConnection('connecting');
    try {
      const opened = await connectWithApiKey(
        (retry) => window.prompt(retry ? 'That API key was not accepted. API key:' : 'This server requires an API key:') ?? undefined,
      );
      client = opened;
      setConnection('connected', opened.ready);
      applyReady(opened.ready);
      void opened.closed.then(() => {
        if (client === opened) setConnection('disconnected');
      });
      return opened;
    } catch (err) {
      setConnection('offline');
      throw err;
    } finally {
      connecting = undefined;
    }
  })();
  return connecting;
}

/** The audio graph, rebuilt when the stream's sample rate changes. */
async function ensurePlayer(sampleRateHz: number): Promise<Player> {
  const existing = player ? await player.catch(() => undefined) : undefined;
  if (existing && existing.sampleRateHz === sampleRateHz) return existing;
  if (existing) await existing.close();
  player = createPlayer({ sampleRateHz, prebufferMs: prebufferMs(), workletUrl: __WORKLET_URL__, onReport });
  player.catch(() => (player = undefined));
  return player;
}

function onReport(report: PlayerReport): void {
  view.showLevel(report);
  const u = current;
  if (!u || report.token !== u.token) return;
  u.playedSamples = u.player.toStreamSamples(report.playedFrames);
  u.bufferedSec = report.bufferedFrames / u.player.context.sampleRate;
  u.underruns = report.underruns;
  u.peak = Math.max(u.peak, report.peak);
  if (report.event === 'started' && u.firstPlayedAtMs === undefined) u.firstPlayedAtMs = performance.now();
  if (report.event === 'drained' || report.event === 'stopped') u.drained = true;
  const next = phaseAfter(u, report);
  if (next) setPhase(next);
  render(u);
}

function render(u: Utterance): void {
  view.render(u);
  ui.download.disabled = u.playedSamples === 0;
}

/** Reads the request's chunks into the player until it ends, fails, or is replaced. */
async function consume(u: Utterance): Promise<void> {
  // A typed request that ended (done, error) takes no more typing: the next keystroke starts a new one.
  void u.stream.done
    .catch(() => undefined)
    .finally(() => {
      if (u === typedUtterance) typed?.end();
    });
  try {
    for await (const chunk of u.stream) {
      // After Stop or a newer Speak the request is being cancelled: read on until it ends, but play nothing.
      if (u !== current || u.stopped) continue;
      const opus = opusDecoders.get(u);
      const samples = opus ? await opus.decode(chunk.pcm) : toFloat32(chunk);
      if (samples.length === 0) continue;
      u.recording.add(opus ? encodeS16le(samples) : chunk.pcm);
      u.chunks += 1;
      view.waveform.append(samples);
      u.player.push(u.token, samples);
      render(u);
    }
    u.done = await u.stream.done;
    opusDecoders.get(u)?.free();
    u.received = true;
    if (u !== current) return;
    u.player.end(u.token);
    if (u.stopped) setPhase(u.drained ? 'stopped' : 'stopping');
    else if (u.recording.samples === 0) setPhase('done');
    render(u);
  } catch (err) {
    u.received = true;
    if (u !== current) return;
    u.player.stop(u.token);
    if (!u.stopped) {
      u.failed = true;
      showError(err);
      setPhase('error');
    }
    render(u);
  }
}

/** "Type as you go": the first keystroke starts a streamed request; later ones feed it. */
function onTyped(): void {
  if (!ui.typeAsYouGo.checked) return;
  if (typed && !typed.ended) {
    typed.update(ui.text.value);
    return;
  }
  const input = createTypedInput('');
  typed = input;
  input.update(ui.text.value);
  void speak(input);
}

/** Speak in "type as you go" mode: the typing is finished, speak the rest. */
function finishTyping(): void {
  if (typed && !typed.ended) typed.end();
}

async function speak(input?: TypedInput): Promise<void> {
  if (!input && ui.typeAsYouGo.checked) return finishTyping();
  const clickedAtMs = performance.now();
  const press = ++presses;
  hideError();
  stop();
  setPhase('connecting');
  let opened: BrowserTtsClient;
  let audio: Player;
  try {
    opened = await ensureClient();
    audio = await ensurePlayer(opened.ready.sampleRate);
    await audio.context.resume();
  } catch (err) {
    if (press === presses) {
      showError(err);
      setPhase('error');
    }
    return;
  }
  if (press !== presses) return;
  const opus = ui.format.value === 'opus' && canDecodeOpusAt(opened.ready.sampleRate);
  const options = {
    voice: ui.voice.value || undefined,
    language: ui.languageField.hidden ? undefined : ui.language.value || undefined,
    params: params?.values(),
    ...(opus ? { format: 'opus' as const } : {}),
  };
  const u: Utterance = {
    token: audio.begin(),
    player: audio,
    stream: input ? opened.speakStream(input.texts, options) : opened.speak(ui.text.value, options),
    recording: createRecording(opened.ready.sampleRate),
    clickedAtMs,
    chunks: 0,
    playedSamples: 0,
    bufferedSec: 0,
    underruns: 0,
    peak: 0,
    received: false,
    failed: false,
    stopped: false,
    drained: false,
  };
  if (opus && canDecodeOpusAt(opened.ready.sampleRate)) opusDecoders.set(u, createOpusStreamDecoder(opened.ready.sampleRate));
  current = u;
  if (input) typedUtterance = u;
  view.waveform.reset(opened.ready.sampleRate);
  setPhase('waiting');
  render(u);
  void consume(u);
}

/** Silences the current utterance at once (the worklet fades over 5 ms) and cancels its request. */
function stop(): void {
  const u = current;
  if (!u || u.stopped || (u.received && u.drained)) return;
  u.stopped = true;
  u.player.stop(u.token);
  if (!u.received) u.stream.cancel();
  setPhase('stopping');
}

function download(): void {
  const u = current;
  if (!u || u.playedSamples === 0) return;
  const url = URL.createObjectURL(u.recording.toWav(u.playedSamples));
  const link = document.createElement('a');
  link.href = url;
  link.download = `speech-${new Date().toISOString().slice(0, 19).replace(/[-:T]/g, '')}.wav`;
  link.click();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

/** The Stop button and Escape: also abandons a Speak that is still connecting. */
function onStop(): void {
  presses += 1;
  typed?.end();
  if (phase === 'connecting') setPhase('idle');
  stop();
}

ui.speak.addEventListener('click', () => void speak());
ui.stop.addEventListener('click', onStop);
ui.download.addEventListener('click', download);
ui.resetParams.addEventListener('click', () => params?.reset());
ui.text.addEventListener('input', () => {
  updateCharCount();
  onTyped();
});
ui.typeAsYouGo.addEventListener('change', () => {
  finishTyping();
  ui.speak.textContent = ui.typeAsYouGo.checked ? 'Finish' : 'Speak';
  if (ui.typeAsYouGo.checked) {
    ui.text.value = '';
    updateCharCount();
    ui.text.focus();
  }
});
ui.prebuffer.addEventListener('change', () => void player?.then((p) => p.setPrebufferMs(prebufferMs())).catch(() => undefined));
document.addEventListener('keydown', (event) => {
  if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) {
    event.preventDefault();
    void speak();
  } else if (event.key === 'Escape') {
    onStop();
  }
});
addEventListener('pagehide', () => client?.close());

updateCharCount();
setPhase('idle');
ensureClient().catch((err: unknown) => showError(err));
