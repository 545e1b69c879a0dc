/**
 * `lnano run <c.wasm> --listen host:port` (issue 18): the http-echo fixture (built with plain
 * componentize-js) served alone like `wasmtime serve`, with the run's grant and limit flags:
 * exact echo, the deadline (504), the outgoing allow-list from `--allow-http`; usage errors for
 * a bad address and for a component that is not a wasi:http/proxy; SIGTERM stops it (exit 0).
 */
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { fixture, ROOT, runCli, tempDataDir } from '../helpers/cli.js';
import { send } from '../helpers/http-client.js';

const ECHO = fixture('http-echo');
const children: ChildProcessWithoutNullStreams[] = [];

afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
});

/** Starts `lnano run ECHO --listen 127.0.0.1:0 <extra>`; resolves with its URL once it serves. */
function listen(extra: readonly string[] = []): Promise<{ url: string; child: ChildProcessWithoutNullStreams }> {
  const child = spawn(process.execPath, [join(ROOT, 'bin', 'lnano.js'), 'run', ECHO, '--listen', '127.0.0.1:0', '--data-dir', tempDataDir(), ...extra]);
  children.push(child);
  let stderr = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no listener after 60 s:\n${stderr}`)), 60_000);
    child.on('exit', (code) => reject(new Error(`exited with ${code}:\n${stderr}`)));
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString();
      const url = /serving (http:\/\/[^/\s]+)\//.exec(stderr)?.[1];
      if (url) {
        clearTimeout(timer);
        resolve({ url, child });
      }
    });
  });
}

function exitOf(child: ChildProcessWithoutNullStreams): Promise<number | null> {
  return child.exitCode !== null ? Promise.resolve(child.exitCode) : new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

describe('lnano run --listen', () => {
  it('serves the component on every path, echoing exactly; stops on SIGTERM with exit 0', async () => {
    const { url, child } = await listen();
    const answer = await send(`${url}/any/path?a=1&b`, {
      method: 'PUT',
      headers: { 'x-test': 'yes' },
      body: [Buffer.from('streamed '), Buffer.from('body')],
      trailers: { 'x-done': '1' },
    });
    expect(answer.status).toBe(200);
    expect(answer.body.toString()).toBe('streamed body');
    expect([answer.headers['x-echo-method'], answer.headers['x-echo-path'], answer.headers['x-echo-h-x-test']]).toEqual(['PUT', '/any/path?a=1&b', 'yes']);
    expect(answer.trailers).toEqual({ 'x-echo-t-x-done': '1' });
    child.kill('SIGTERM');
    expect(await exitOf(child)).toBe(0);
  }, 90_000);

  it('applies --timeout to each request and --allow-http to its outgoing requests', async () => {
    const upstream = createServer((_req, res) => res.end('up'));
    await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
    const authority = `127.0.0.1:${(upstream.address() as AddressInfo).port}`;
    try {
      const { url } = await listen(['--timeout', '5s', '--allow-http', authority]);
      const spin = await send(`${url}/spin`);
      expect([spin.status, JSON.parse(spin.body.toString()).code]).toEqual([504, 'LN_ERR_BUDGET_TIME']);
      expect((await send(`${url}/fetch?authority=${authority}`)).body.toString()).toBe('status 200');
      expect((await send(`${url}/fetch?authority=127.0.0.1:9`)).body.toString()).toBe('error HTTP-request-denied');
    } finally {
      upstream.close();
    }
  }, 90_000);

  it('refuses a bad address and a component that is not a wasi:http/proxy (exit 2)', async () => {
    const bad = await runCli(['run', ECHO, '--listen', 'nowhere']);
    expect([bad.code, bad.stderr]).toEqual([2, expect.stringMatching(/^error\[LN_ERR_CONFIG_USAGE\]: .*--listen "nowhere" is not host:port/)]);
    const plugin = await runCli(['run', fixture('counter-c'), '--listen', '127.0.0.1:0']);
    expect([plugin.code, plugin.stderr]).toEqual([2, expect.stringMatching(/^error\[LN_ERR_CONFIG_USAGE\]: .*serves a wasi:http\/proxy component/)]);
    const both = await runCli(['run', ECHO, '--listen', '127.0.0.1:0', '--invoke', 'x()']);
    expect(both.code).toBe(2);
  }, 60_000);
});
