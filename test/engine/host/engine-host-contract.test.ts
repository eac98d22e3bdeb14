import { createEngineHost } from '../../../src/engine/host/engine-host.js';
import { createLogger } from '../../../src/logging/logger.js';
import { runEngineContract } from '../contract.js';

// The host must keep the contract of the engine it runs: in particular, an abort ends the stream
// at once even when the engine thread had already sent chunks ahead of the consumer.
runEngineContract('flite in its engine thread', () => createEngineHost({ kind: 'flite' }, createLogger({ level: 'silent' })));
