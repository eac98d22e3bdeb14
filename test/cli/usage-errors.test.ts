// Every command line that cannot run as given exits 2 with one line naming the problem, before doing anything.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runChatterboxCli as chatterbox } from '../helpers/cli.js';

// [what is wrong, arguments, what the message must name]
const CASES: Array<[string, string[], RegExp]> = [
  ['an unknown command', ['speak', 'hi'], /unknown command 'speak'/],
  ['say without text (empty stdin)', ['say'], /text on stdin is empty/],
  ['say with --params that is not JSON', ['say', 'hi', '--params', '{temperature:'], /--params is not valid JSON/],
  ['say with --params that is not an object of numbers', ['say', 'hi', '--params', '{"temperature":"hot"}'], /--params must be a JSON object of numbers/],
  ['say with a --url that is not a URL', ['say', 'hi', '--url', '127.0.0.1:6095'], /--url '127\.0\.0\.1:6095'/],
  ['say with an unknown option', ['say', 'hi', '--speed', '2'], /Unknown option '--speed'/],
  ['up with --workers x', ['up', '--workers', 'x'], /--workers must be an integer/],
  ['up with --port out of range', ['up', '--port', '70000'], /--port must be an integer from 1 to 65535, got '70000'/],
  ['serve with a bad --port', ['serve', '--port', 'x'], /--port .*'x' is not a number/],
  ['serve with a stray argument', ['serve', 'now'], /Unexpected argument 'now'/],
  ['balance with a bad --backend', ['balance', '--backend', 'nope'], /--backend/],
  ['check-model without a directory', ['check-model'], /no model directory given/],
  ['check-model with an unknown --dtype', ['check-model', 'dir', '--dtype', 'f8'], /--dtype must be one of fp32, fp16, q8, q4, q4f16, got 'f8'/],
  ['tokens without --model', ['tokens', 'hi'], /--model DIR is required/],
  ['tokens with --params that is not JSON', ['tokens', '--model', 'dir', 'hi', '--params', '{'], /--params is not valid JSON/],
  ['tokens with an unknown --device', ['tokens', '--model', 'dir', 'hi', '--device', 'gpu'], /--device must be one of auto, cpu, cuda, webgpu, got 'gpu'/],
];

describe('usage errors exit 2 with one line', () => {
  for (const [name, args, problem] of CASES) {
    it(name, async () => {
      const { code, stdout, stderr } = await chatterbox(args);
      assert.equal(code, 2, stderr);
      assert.match(stderr, problem);
      assert.equal(stderr.trim().split('\n').length, 1, stderr);
      assert.equal(stdout, '');
    });
  }
});
