// The page's API key: asked for when the server refuses with UNAUTHORIZED, kept in sessionStorage (gone with the tab).
import { TtsError, connect, type BrowserTtsClient } from './tts-browser-client.js';

const STORAGE_NAME = 'chatterbox.apiKey';

/**
 * Connects to the page's server, with the key of this tab's session when there is one. On UNAUTHORIZED it asks for a
 * key (`ask` answers undefined to give up), keeps it for the tab and tries again; a refused key is forgotten.
 */
export async function connectWithApiKey(ask: (retry: boolean) => string | undefined): Promise<BrowserTtsClient> {
  let apiKey = sessionStorage.getItem(STORAGE_NAME) ?? undefined;
  for (;;) {
    try {
      return await connect(undefined, apiKey ? { apiKey } : {});
    } catch (err) {
      if (!(err instanceof TtsError) || err.code !== 'UNAUTHORIZED') throw err;
      sessionStorage.removeItem(STORAGE_NAME);
      const entered = ask(apiKey !== undefined)?.trim();
      if (!entered) throw err;
      apiKey = entered;
      sessionStorage.setItem(STORAGE_NAME, apiKey);
    }
  }
}
