import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { workerPorts } from '../../src/cli/up.js';

describe('workerPorts', () => {
  const cases: Array<[string, number, number, number, number[]]> = [
    ['two workers below the balancer', 2, 6093, 6095, [6093, 6094]],
    ['a third worker skips the balancer port, as the units do', 3, 6093, 6095, [6093, 6094, 6096]],
    ['a balancer elsewhere is never in the way', 3, 7000, 6095, [7000, 7001, 7002]],
    ['the first port taken by the balancer is skipped too', 1, 6095, 6095, [6096]],
  ];
  for (const [name, count, first, balancer, expected] of cases) {
    it(name, () => assert.deepEqual(workerPorts(count, first, balancer), expected));
  }
});
