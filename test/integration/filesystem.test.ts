// The other side of the escape tests: inside a granted preopen a real component (fs-probe, C +
// wasi-libc through the preview1 adapter) can do everything a program normally does with files,
// and what it does is what the host sees on disk.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { createFilesystem } from '../../host/capabilities/filesystem/wasi-filesystem.js';
import type { PreopenGrant } from '../../host/capabilities/grants.js';
import { probe } from '../fixtures/components/fs-probe/probe.js';
import { codeOf } from '../helpers/errors.js';

const base = mkdtempSync(join(tmpdir(), 'lnano-fs-'));
let n = 0;
let root = '';
let preopens: PreopenGrant[] = [];

beforeEach(() => {
  root = join(base, `case-${n++}`);
  mkdirSync(join(root, 'docs'), { recursive: true });
  writeFileSync(join(root, 'hello.txt'), 'hello');
  writeFileSync(join(root, 'docs', 'a.txt'), 'alpha');
  preopens = [{ host: root, guest: '/data', readOnly: false }];
});
afterAll(() => rmSync(base, { recursive: true, force: true }));

describe('a read-write preopen works like a file system', () => {
  it('reads, writes, creates, appends, truncates; the host sees the result', async () => {
    const run = await probe(
      [
        ['read', '/data/hello.txt'],
        ['write', '/data/new.txt', 'fresh'],
        ['append', '/data/new.txt', '+more'],
        ['read', '/data/new.txt'],
        ['create', '/data/empty'],
        ['create', '/data/empty'],
        ['write', '/data/hello.txt', 'replaced'],
        ['truncate', '/data/hello.txt', '3'],
        ['read', '/data/hello.txt'],
      ],
      { preopens },
    );
    expect(run.lines).toEqual(['ok hello', 'ok', 'ok', 'ok fresh+more', 'ok', 'err EEXIST', 'ok', 'ok', 'ok rep']);
    expect(run.status).toBe(1);
    expect(readFileSync(join(root, 'new.txt'), 'utf8')).toBe('fresh+more');
    expect(readFileSync(join(root, 'hello.txt'), 'utf8')).toBe('rep');
    expect(statSync(join(root, 'empty')).size).toBe(0);
  });

  it('makes, lists, renames and removes nested directories and files', async () => {
    const run = await probe(
      [
        ['mkdir', '/data/x'],
        ['mkdir', '/data/x/y'],
        ['write', '/data/x/y/z.txt', 'deep'],
        ['read', '/data/x/./y/../y/z.txt'],
        ['ls', '/data/x/y'],
        ['rename', '/data/x/y/z.txt', '/data/docs/z.txt'],
        ['rename', '/data/x', '/data/x2'],
        ['ls', '/data'],
        ['ls', '/data/docs'],
        ['rmdir', '/data/x2'],
        ['rm', '/data/docs/z.txt'],
        ['rmdir', '/data/x2/y'],
        ['rmdir', '/data/x2'],
        ['ls', '/data'],
      ],
      { preopens },
    );
    expect(run.lines).toEqual([
      'ok',
      'ok',
      'ok',
      'ok deep',
      'ok z.txt',
      'ok',
      'ok',
      'ok docs hello.txt x2',
      'ok a.txt z.txt',
      'err ENOTEMPTY',
      'ok',
      'ok',
      'ok',
      'ok docs hello.txt',
    ]);
    expect(readdirSync(root).sort()).toEqual(['docs', 'hello.txt']);
  });

  it('follows relative symlinks that stay inside, made by the guest or by the host', async () => {
    symlinkSync('docs', join(root, 'docs-link'));
    symlinkSync('../hello.txt', join(root, 'docs', 'up-link'));
    const run = await probe(
      [
        ['read', '/data/docs-link/a.txt'],
        ['read', '/data/docs/up-link'],
        ['symlink', 'docs/a.txt', '/data/mine'],
        ['read', '/data/mine'],
        ['readlink', '/data/mine'],
        ['lstat', '/data/mine'],
        ['stat', '/data/mine'],
        ['symlink', '../docs/a.txt', '/data/docs/sibling'],
        ['read', '/data/docs/sibling'],
        ['ls', '/data/docs-link'],
        ['rm', '/data/mine'],
      ],
      { preopens },
    );
    expect(run.lines).toEqual([
      'ok alpha',
      'ok hello',
      'ok',
      'ok alpha',
      'ok docs/a.txt',
      'ok link 10',
      'ok file 5',
      'ok',
      'ok alpha',
      'ok a.txt sibling up-link',
      'ok',
    ]);
    expect(readlinkSync(join(root, 'docs', 'sibling'))).toBe('../docs/a.txt');
    expect(readFileSync(join(root, 'docs', 'a.txt'), 'utf8')).toBe('alpha');
  });

  it('lists and stats the preopen directory itself; reading it as a file is an error, not a crash', async () => {
    const run = await probe(
      [
        ['ls', '/data'],
        ['stat', '/data'],
        ['stat', '/data/'],
        ['read', '/data'],
        ['touch', '/data'],
        ['read', '/data/hello.txt'],
      ],
      { preopens },
    );
    expect(run.lines[0]).toBe('ok docs hello.txt');
    expect(run.lines[1]).toMatch(/^ok dir \d+$/);
    expect(run.lines[2]).toMatch(/^ok dir \d+$/);
    expect(run.lines[3]).toMatch(/^err (EISDIR|EBADF)$/);
    expect(run.lines.slice(4)).toEqual(['ok', 'ok hello']);
  });

  it('reads and writes files larger than one stream chunk', async () => {
    const big = 'abcdefghij'.repeat(5000);
    writeFileSync(join(root, 'big.txt'), big);
    const run = await probe(
      [
        ['read', '/data/big.txt'],
        ['write', '/data/copy.txt', big],
      ],
      { preopens },
    );
    expect(run.lines).toEqual([`ok ${big}`, 'ok']);
    expect(readFileSync(join(root, 'copy.txt'), 'utf8')).toBe(big);
  });

  it('sees changes the host makes between runs, and two preopens side by side', async () => {
    const other = join(base, `other-${n}`);
    mkdirSync(other);
    writeFileSync(join(other, 'conf'), 'v1');
    const both: PreopenGrant[] = [...preopens, { host: other, guest: '/etc/app', readOnly: true }];
    const first = await probe(
      [
        ['read', '/etc/app/conf'],
        ['write', '/data/from-guest', 'hi'],
      ],
      { preopens: both },
    );
    writeFileSync(join(other, 'conf'), 'v2');
    const second = await probe(
      [
        ['read', '/etc/app/conf'],
        ['read', '/data/from-guest'],
        ['write', '/etc/app/conf', 'x'],
      ],
      { preopens: both },
    );
    expect(first.lines).toEqual(['ok v1', 'ok']);
    expect(second.lines).toEqual(['ok v2', 'ok hi', 'err EROFS']);
  });

  it('leaves no file descriptor open in the host once its instances are gone', async () => {
    await probe([['read', '/data/hello.txt']], { preopens }); // warm up: the engine, the shim's own
    const before = readdirSync('/proc/self/fd').length;
    for (let i = 0; i < 5; i++) {
      const run = await probe(
        [
          ['ls', '/data/docs'],
          ['read', '/data/docs/a.txt'],
          ['write', '/data/w', 'x'],
          ['read', '/data/../x'],
        ],
        { preopens },
      );
      expect(run.lines).toEqual(['ok a.txt', 'ok alpha', 'ok', 'err EPERM']);
    }
    expect(readdirSync('/proc/self/fd').length).toBeLessThanOrEqual(before);
  });

  it('with no preopen there is no file system at all', async () => {
    const run = await probe([
      ['read', '/data/hello.txt'],
      ['ls', '/'],
      ['write', '/tmp/x', 'x'],
    ]);
    expect(run.lines).toEqual(['err ENOTCAPABLE', 'err ENOTCAPABLE', 'err ENOTCAPABLE']);
  });
});

describe('createFilesystem', () => {
  it('a host directory that cannot be opened is LN_ERR_CONFIG_INVALID naming the preopen', () => {
    expect(codeOf(() => createFilesystem([{ host: join(base, 'missing'), guest: '/m', readOnly: true }]))).toBe('LN_ERR_CONFIG_INVALID');
  });

  it('gives each preopen under its guest path, with descriptor flags that match the grant', () => {
    const fs = createFilesystem([...preopens, { host: root, guest: '/ro', readOnly: true }]);
    const dirs = fs.preopens.getDirectories();
    expect(dirs.map(([, guest]) => guest)).toEqual(['/data', '/ro']);
    expect(dirs.map(([d]) => d.getFlags())).toEqual([
      { read: true, mutateDirectory: true },
      { read: true, mutateDirectory: false },
    ]);
    expect(dirs.every(([d]) => d instanceof fs.types.Descriptor && d.getType() === 'directory')).toBe(true);
    const entries = [];
    const stream = dirs[0]![0].readDirectory();
    for (let e = stream.readDirectoryEntry(); e; e = stream.readDirectoryEntry()) entries.push(e);
    expect(entries.sort((a, b) => a.name.localeCompare(b.name))).toEqual([
      { name: 'docs', type: 'directory' },
      { name: 'hello.txt', type: 'regular-file' },
    ]);
  });
});
