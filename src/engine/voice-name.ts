/** Voice names: letters, digits, '-' and '_', 1–64 characters, starting with a letter or digit, so a name is always one plain file name. */
const VOICE_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

/** True when `name` is a valid voice name: it can never hold a path separator, '..', a control character or a dot. */
export function isVoiceName(name: string): boolean {
  return VOICE_NAME.test(name);
}

/** The reference clip's file name for a voice (the voices directory holds `<name>.wav`). */
export function voiceFileName(name: string): string {
  return `${name}.wav`;
}
