/** `--transport` / CHATTERBOX_TRANSPORT, shared by the worker and the balancer: which HTTP and WebSocket adapter serves. */
export const TRANSPORT_SETTING = {
  flag: 'transport',
  env: 'CHATTERBOX_TRANSPORT',
  kind: 'enum',
  default: 'auto',
  choices: ['auto', 'uws', 'node'],
  description:
    'HTTP and WebSocket adapter: uws (uWebSockets.js, fastest; needs its native binary for this Node and glibc), node (ws on node:http, runs everywhere), or auto (uws where it loads, else node).',
} as const;
