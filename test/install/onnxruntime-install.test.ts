// npm installs stay offline by default (no CUDA download by onnxruntime-node's install script), npm prints no
// config warnings, and `npm run install-cuda` is the opt-in that does try the download on GPU hosts.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it, type TestContext } from 'node:test';
import { runProcess } from '../helpers/cli.js';

/** An HTTPS proxy on port 0 that refuses every tunnel and records where each one was headed. */
async function startRefusingProxy(t: TestContext): Promise<{ url: string; targets: string[] }> {
  const targets: string[] = [];
  const server: Server = createServer((req, res) => {
    targets.push(req.url ?? '');
    res.writeHead(502).end();
  });
  server.on('connect', (req, socket) => {
    targets.push(req.url ?? '');
    socket.end('HTTP/1.1 502 Bad Gateway\r\n\r\n');
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.after(() => server.close());
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, targets };
}

/** This environment without anything that would choose onnxruntime-node's install for it, downloads sent to `proxyUrl`. */
function installEnv(proxyUrl: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, GLOBAL_AGENT_HTTPS_PROXY: proxyUrl, GLOBAL_AGENT_HTTP_PROXY: proxyUrl, GLOBAL_AGENT_NO_PROXY: '' };
  for (const name of Object.keys(env)) if (/onnxruntime_node_install/i.test(name)) delete env[name];
  return env;
}

const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

describe('npm and onnxruntime-node install', () => {
  it('npm prints no unknown-config warning in this project', async () => {
    const { code, stderr } = await runProcess(npm, ['config', 'list']);
    assert.equal(code, 0, stderr);
    assert.doesNotMatch(stderr, /Unknown (project|user|cli|env) config/);
  });

  it('the install script of onnxruntime-node does not run by default, so nothing is downloaded', async (t) => {
    const proxy = await startRefusingProxy(t);
    const { code, stdout, stderr } = await runProcess(npm, ['rebuild', 'onnxruntime-node', '--foreground-scripts'], {
      env: installEnv(proxy.url),
      timeoutMs: 60_000,
    });
    assert.equal(code, 0, stderr);
    assert.deepEqual(proxy.targets, []);
    assert.doesNotMatch(stdout + stderr, /Downloading|nuget/i);
  });

  it('npm run install-cuda tries to download the CUDA 12 libraries', async (t) => {
    const proxy = await startRefusingProxy(t);
    const { code, stderr } = await runProcess(npm, ['run', '--silent', 'install-cuda'], { env: installEnv(proxy.url), timeoutMs: 60_000 });
    assert.notEqual(code, 0);
    assert.deepEqual(proxy.targets, ['api.nuget.org:443']);
    assert.match(stderr, /api\.nuget\.org/);
  });
});
