import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createKeyCheck, loadApiKeys, parseKeyFile } from '../../../src/transport/access/api-keys.js';

const KEY_A = 'alpha-key-0123456789';
const KEY_B = 'bravo-key-9876543210';

describe('API keys', () => {
  it('reads one key a line, skipping comments and blank lines', () => {
    assert.deepEqual(parseKeyFile(`# team keys\n${KEY_A}\n\n  ${KEY_B}  \r\n# old: none\n`, 'keys'), [KEY_A, KEY_B]);
  });

  it('names the bad line of a key file but never its content', () => {
    assert.throws(
      () => parseKeyFile(`${KEY_A}\nshort secret\n`, 'keys.txt'),
      (err: Error) => {
        assert.match(err.message, /keys\.txt line 2/);
        assert.doesNotMatch(err.message, /short secret/);
        return true;
      },
    );
  });

  it('refuses to turn keys on with none configured', () => {
    assert.throws(() => loadApiKeys({ keys: [] }), /no key is configured/);
  });

  it('matches each configured key to its label, and nothing else', () => {
    const check = createKeyCheck([KEY_A, KEY_B]);
    assert.equal(check(KEY_A), 'key#1');
    assert.equal(check(KEY_B), 'key#2');
    for (const wrong of ['', KEY_A.slice(0, -1), `${KEY_A}x`, KEY_A.toUpperCase(), `${KEY_A},${KEY_B}`]) assert.equal(check(wrong), undefined, wrong);
  });
});
