import { createFliteEngine } from '../../../src/engine/flite/flite-engine.js';
import { runEngineContract } from '../contract.js';

runEngineContract('flite', () => createFliteEngine());
