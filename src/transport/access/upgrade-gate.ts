import { decodeClientMessage, encodeFrame, peekFrameType } from '../../protocol/codec.js';
import { TtsError } from '../../protocol/errors.js';
import type { SessionHandler } from '../frame-connection.js';
import type { UpgradeGate } from '../transport.js';
import type { AccessPolicy } from './access-policy.js';
import { forbidden, unauthorized } from './http-guard.js';
import { isHostAllowed, isOriginAllowed } from './origin-host.js';

/**
 * The stream endpoint's gate: a bad Host or Origin gets 403 and no WebSocket (a hostile page learns nothing); a
 * missing or wrong key opens the socket only to send UNAUTHORIZED and close 1008, which a browser can see. Admitted
 * sessions count against their client's session limit, and each `start` against its request and character limits.
 */
export function createUpgradeGate(policy: AccessPolicy): UpgradeGate {
  const { limiter, limits } = policy;
  const countsRequests = limits.requestsPerMinute > 0 || limits.charsPerMinute > 0;
  return (request) => {
    const host = request.header('host');
    if (!isHostAllowed(host, policy.listenHost, policy.allowedHosts)) return { kind: 'reject', error: forbidden() };
    if (!isOriginAllowed(request.header('origin'), host, policy.allowedOrigins)) return { kind: 'reject', error: forbidden() };
    const keyLabel = policy.authenticate(request.header);
    if (policy.keyCheck && !keyLabel) return { kind: 'refuse', error: unauthorized() };
    const client = keyLabel ?? request.remoteAddress;
    return {
      kind: 'admit',
      wrap: (session, connection): SessionHandler => {
        let holdsSlot = false;
        return {
          get activeRequests() {
            return session.activeRequests;
          },
          open() {
            const waitMs = limiter.openSession(client);
            if (waitMs !== undefined) {
              const error = new TtsError('RATE_LIMITED', 'too many sessions for this client');
              connection.send(encodeFrame({ type: 'error', code: error.code, message: error.message, retryable: true, retryAfterMs: waitMs }));
              connection.close(1013, error.code);
              return;
            }
            holdsSlot = true;
            session.open();
          },
          receive(bytes, isBinary) {
            if (!holdsSlot) return;
            if (countsRequests && isBinary && peekFrameType(bytes) === 'start') {
              let start: { id: string; text: string } | undefined;
              try {
                const message = decodeClientMessage(bytes);
                if (message.type === 'start') start = message;
              } catch {
                // A malformed start: the session answers it with its own coded error, and it costs nothing here.
              }
              const waitMs = start ? limiter.takeRequest(client, start.text.length) : undefined;
              if (start && waitMs !== undefined) {
                connection.send(
                  encodeFrame({ type: 'error', id: start.id, code: 'RATE_LIMITED', message: 'rate limit reached', retryable: true, retryAfterMs: waitMs }),
                );
                return;
              }
            }
            session.receive(bytes, isBinary);
          },
          closed() {
            if (holdsSlot) limiter.closeSession(client);
            holdsSlot = false;
            session.closed();
          },
        };
      },
    };
  };
}
