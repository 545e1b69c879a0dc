// An attacker's tour of the preopen: every way out of it is tried by a real component (fs-probe,
// C + wasi-libc), and each is refused with the right error while the same instance keeps
// answering. The host-level checks call the filesystem import directly, as a hostile guest
// could with hand-written calls.
import { spawn } from 'node:child_process';
import { linkSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_OPEN_FILES } from '../../host/capabilities/filesystem/fd-budget.js';
import { MAX_DEPTH, MAX_PATH_LENGTH } from '../../host/capabilities/filesystem/path-walker.js';
import { createFilesystem } from '../../host/capabilities/filesystem/wasi-filesystem.js';
import type { PreopenGrant } from '../../host/capabilities/grants.js';
import { Probe, probe } from '../fixtures/components/fs-probe/probe.js';

const base = mkdtempSync(join(tmpdir(), 'lnano-fs-escape-'));
const root = join(base, 'root');
const outside = join(base, 'outside');
const SECRET = 'SECRET';

beforeAll(() => {
  mkdirSync(join(root, 'sub'), { recursive: true });
  mkdirSync(join(root, 'race'));
  mkdirSync(outside);
  writeFileSync(join(root, 'ok.txt'), 'inside');
  writeFileSync(join(root, 'race', 'file'), 'inside');
  writeFileSync(join(outside, 'secret'), SECRET);
  writeFileSync(join(outside, 'file'), SECRET);
  // Planted from outside the guest: outward symlinks (absolute, relative, to a directory) and a
  // hard link to a file outside.
  symlinkSync(join(outside, 'secret'), join(root, 'abs-link'));
  symlinkSync('../outside/secret', join(root, 'rel-link'));
  symlinkSync('../../outside', join(root, 'sub', 'out-dir'));
  linkSync(join(outside, 'secret'), join(root, 'hard'));
});

const rw = (): PreopenGrant[] => [{ host: root, guest: '/data', readOnly: false }];
const ro = (): PreopenGrant[] => [{ host: root, guest: '/data', readOnly: true }];

/**
 * Runs ops then a harmless read on one instance, and runs it all again on the same instance:
 * the refusals must not hurt the instance. Returns the first run's lines for the ops.
 */
async function refusedThenServed(ops: string[][], preopens = rw()): Promise<string[]> {
  const p = await Probe.start([...ops, ['read', '/data/ok.txt']], { preopens });
  try {
    const first = await p.run();
    const again = await p.run();
    expect(first.lines.at(-1)).toBe('ok inside');
    expect(again.lines.at(-1)).toBe('ok inside');
    expect(again.lines).toHaveLength(first.lines.length);
    return first.lines.slice(0, -1);
  } finally {
    await p.dispose();
  }
}

describe('filesystem escapes through a component are refused', () => {
  it('`..` out of the preopen: not-permitted (EPERM)', async () => {
    const lines = await refusedThenServed([
      ['read', '/data/../outside/secret'],
      ['read', '/data/sub/../../outside/secret'],
      ['raw-read', '../outside/secret'],
      ['raw-read', 'sub/../../outside/secret'],
      ['ls', '/data/..'],
    ]);
    expect(lines).toEqual(['err EPERM', 'err EPERM', 'err EPERM', 'err EPERM', 'err EPERM']);
  });

  it('absolute paths: no preopen matches in libc; the host refuses them when sent raw', async () => {
    const lines = await refusedThenServed([
      ['read', '/etc/passwd'],
      ['raw-read', '/etc/passwd'],
      ['raw-read', '/data/ok.txt'],
    ]);
    expect(lines).toEqual(['err ENOTCAPABLE', 'err EPERM', 'err EPERM']);
  });

  it("a preopen mounted at / is the guest's whole world: /etc/passwd is not the host's", async () => {
    const run = await probe(
      [
        ['read', '/etc/passwd'],
        ['read', '/../etc/passwd'],
        ['read', '/ok.txt'],
      ],
      {
        preopens: [{ host: root, guest: '/', readOnly: false }],
      },
    );
    expect(run.lines[0]).toBe('err ENOENT');
    expect(run.lines[1]).toMatch(/^err (EPERM|ENOENT)$/);
    expect(run.lines[2]).toBe('ok inside');
  });

  it('outward symlinks planted from outside are not followed', async () => {
    const lines = await refusedThenServed([
      ['read', '/data/abs-link'],
      ['read', '/data/rel-link'],
      ['read', '/data/sub/out-dir/secret'],
      ['ls', '/data/sub/out-dir'],
      ['stat', '/data/abs-link'],
      ['write', '/data/rel-link', 'overwrite'],
      ['lstat', '/data/abs-link'],
    ]);
    expect(lines.slice(0, 6)).toEqual(['err EPERM', 'err EPERM', 'err EPERM', 'err EPERM', 'err EPERM', 'err EPERM']);
    expect(lines[6]).toMatch(/^ok link \d+$/);
    expect(readFileSync(join(outside, 'secret'), 'utf8')).toBe(SECRET);
  });

  it('a symlink the guest makes cannot lead out: outward targets are refused, and combinations are stopped when read', async () => {
    const lines = await refusedThenServed([
      ['symlink', '../outside/secret', '/data/evil'],
      ['symlink', '/etc/passwd', '/data/evil-abs'],
      ['read', '/data/evil'],
      // Each link alone stays inside; together sub/up/.. climbs out. The walker stops it.
      ['symlink', '..', '/data/sub/up'],
      ['symlink', 'sub/up/../outside/secret', '/data/combo'],
      ['read', '/data/combo'],
      ['read', '/data/sub/up/../outside/secret'],
    ]);
    expect(lines).toEqual(['err EPERM', 'err EPERM', 'err ENOENT', 'ok', 'ok', 'err EPERM', 'err EPERM']);
  });

  it('hard links: one planted from outside cannot be opened or touched, and the guest cannot make one', async () => {
    const mtimeBefore = statSync(join(outside, 'secret')).mtimeMs;
    const lines = await refusedThenServed([
      ['read', '/data/hard'],
      ['write', '/data/hard', 'overwrite'],
      ['truncate', '/data/hard', '0'],
      ['touch', '/data/hard'],
      ['link', '/data/ok.txt', '/data/ok-again'],
      ['stat', '/data/hard'],
    ]);
    expect(lines).toEqual(['err EPERM', 'err EPERM', 'err EPERM', 'err EPERM', 'err EPERM', 'ok file 6']);
    expect(readFileSync(join(outside, 'secret'), 'utf8')).toBe(SECRET);
    expect(statSync(join(outside, 'secret')).mtimeMs).toBe(mtimeBefore);
    expect(readdirSync(root)).not.toContain('ok-again');
  });

  it('a read-only preopen refuses every write (EROFS) and still reads', async () => {
    const before = snapshot(root);
    const lines = await refusedThenServed(
      [
        ['write', '/data/ok.txt', 'x'],
        ['write', '/data/new.txt', 'x'],
        ['create', '/data/created'],
        ['append', '/data/ok.txt', 'x'],
        ['truncate', '/data/ok.txt', '0'],
        ['mkdir', '/data/newdir'],
        ['rmdir', '/data/sub'],
        ['rm', '/data/ok.txt'],
        ['rename', '/data/ok.txt', '/data/moved.txt'],
        ['symlink', 'ok.txt', '/data/new-link'],
        ['link', '/data/ok.txt', '/data/new-hard'],
        ['touch', '/data/ok.txt'],
        ['touch', '/data'],
        ['ls', '/data'],
        ['stat', '/data/ok.txt'],
      ],
      ro(),
    );
    expect(lines.slice(0, 13)).toEqual(Array(13).fill('err EROFS'));
    expect(lines[13]).toBe(`ok ${readdirSync(root).sort().join(' ')}`);
    expect(lines[14]).toBe('ok file 6');
    expect(snapshot(root)).toEqual(before);
  });

  it('a refused operation without -k makes the guest exit 1, and only the guest', async () => {
    const p = await Probe.start([['read', '/data/../outside/secret']], { preopens: rw(), keepGoing: false });
    try {
      await expect(p.run()).rejects.toMatchObject({ code: 'LN_ERR_GUEST_EXIT', details: { exitCode: 1 } });
    } finally {
      await p.dispose();
    }
    const run = await probe([['read', '/data/ok.txt']], { preopens: rw() });
    expect(run.lines).toEqual(['ok inside']);
  });
});

describe('a directory swapped for an outward symlink while the guest reads (10 s race)', () => {
  it('zero reads return the outside file', async () => {
    const durationMs = 10_000;
    const swapper = spawn(process.execPath, ['-e', SWAPPER, join(root, 'race'), join(root, '.race-saved'), outside, '../outside', String(durationMs + 2000)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let swapped = '';
    swapper.stdout.on('data', (c: Buffer) => {
      swapped += c.toString();
    });
    const exited = new Promise((resolve) => swapper.on('close', resolve));
    try {
      const run = await probe([['loop-read-for', '/data/race/file', String(durationMs)]], { preopens: rw() });
      const tally = Object.fromEntries(
        run.lines[0]!.replace(/^ok /, '')
          .split(' ')
          .map((kv) => kv.split('=') as [string, string]),
      );
      const total = Number(tally.total);
      const inside = Number(tally.inside ?? 0);
      const refused = Object.entries(tally)
        .filter(([k]) => k.startsWith('!'))
        .reduce((n, [, v]) => n + Number(v), 0);
      expect(tally[SECRET]).toBeUndefined();
      expect(inside).toBeGreaterThan(0);
      expect(refused).toBeGreaterThan(0); // the race really happened
      expect(inside + refused).toBe(total);
    } finally {
      await exited;
    }
    expect(Number(swapped.trim())).toBeGreaterThan(100);
  }, 60_000);
});

describe('the filesystem import refuses escapes with error values, never exceptions', () => {
  it('absolute paths, `..`, outward symlinks and hard links are not-permitted at the host call', () => {
    const fs = createFilesystem(rw());
    const [[dir, guest]] = fs.preopens.getDirectories() as [[InstanceType<typeof fs.types.Descriptor>, string]];
    expect(guest).toBe('/data');
    const open = (path: string, follow = true) => thrown(() => dir.openAt({ symlinkFollow: follow }, path, {}, { read: true }));
    expect(open('/etc/passwd')).toBe('not-permitted');
    expect(open('../outside/secret')).toBe('not-permitted');
    expect(open('sub/../../outside/secret')).toBe('not-permitted');
    expect(open('abs-link')).toBe('not-permitted');
    expect(open('rel-link')).toBe('not-permitted');
    expect(open('abs-link', false)).toBe('loop');
    expect(open('hard')).toBe('not-permitted');
    expect(open('missing')).toBe('no-entry');
    expect(open('ok.txt/')).toBe('not-directory');
    expect(open('a\0b')).toBe('invalid');
    expect(thrown(() => dir.statAt({ symlinkFollow: true }, '/etc'))).toBe('not-permitted');
    expect(thrown(() => dir.readlinkAt('../outside'))).toBe('not-permitted');
    expect(thrown(() => dir.linkAt({}, 'ok.txt', dir, 'x'))).toBe('not-permitted');
    expect(thrown(() => dir.symlinkAt('../../x', 'sub/evil'))).toBe('not-permitted');
    expect(thrown(() => dir.renameAt('ok.txt', dir, '../stolen'))).toBe('not-permitted');
  });

  it('a descriptor opened below the preopen is its own boundary: `..` cannot leave it', () => {
    const fs = createFilesystem(rw());
    const [[dir]] = fs.preopens.getDirectories() as [[InstanceType<typeof fs.types.Descriptor>, string]];
    const sub = dir.openAt({}, 'sub', { directory: true }, { read: true });
    expect(thrown(() => sub.openAt({}, '../ok.txt', {}, { read: true }))).toBe('not-permitted');
    expect(thrown(() => sub.openAt({ symlinkFollow: true }, 'out-dir/secret', {}, { read: true }))).toBe('not-permitted');
    sub[Symbol.dispose]();
  });

  it('one call cannot hold unbounded fds: walks deeper than MAX_DEPTH or longer than PATH_MAX are name-too-long', () => {
    const deep = Array(MAX_DEPTH + 8)
      .fill('d')
      .join('/');
    mkdirSync(join(root, 'deep', deep), { recursive: true });
    const fs = createFilesystem(rw());
    const [[dir]] = fs.preopens.getDirectories() as [[InstanceType<typeof fs.types.Descriptor>, string]];
    const shallow = Array(MAX_DEPTH - 8)
      .fill('d')
      .join('/');
    expect(dir.statAt({}, `deep/${shallow}`).type).toBe('directory');
    expect(thrown(() => dir.statAt({}, `deep/${deep}`))).toBe('name-too-long');
    expect(thrown(() => dir.statAt({}, 'x/'.repeat(MAX_PATH_LENGTH)))).toBe('name-too-long');
    const before = readdirSync('/proc/self/fd').length;
    for (let i = 0; i < 20; i++) thrown(() => dir.statAt({}, `deep/${deep}`));
    expect(readdirSync('/proc/self/fd').length).toBeLessThanOrEqual(before);
  });

  it('one instance cannot exhaust the host fd table: open files and streams stop at MAX_OPEN_FILES', () => {
    const fs = createFilesystem(rw());
    const [[dir]] = fs.preopens.getDirectories() as [[InstanceType<typeof fs.types.Descriptor>, string]];
    const fdsBefore = readdirSync('/proc/self/fd').length;
    const open = Array.from({ length: MAX_OPEN_FILES - 1 }, () => dir.openAt({}, 'ok.txt', {}, { read: true }));
    const stream = open[0]!.readViaStream(0n) as Disposable;
    expect(thrown(() => dir.openAt({}, 'ok.txt', {}, { read: true }))).toBe('insufficient-memory');
    expect(thrown(() => open[1]!.readViaStream(0n))).toBe('insufficient-memory');
    stream[Symbol.dispose]();
    const last = dir.openAt({}, 'sub', {}, { read: true });
    expect(last.getType()).toBe('directory');
    for (const d of [...open, last]) d[Symbol.dispose]();
    expect(readdirSync('/proc/self/fd').length).toBeLessThanOrEqual(fdsBefore);
    expect(dir.openAt({}, 'ok.txt', {}, { read: true }).read(6n, 0n)[0]).toEqual(new TextEncoder().encode('inside'));
  });

  it('reading or writing the preopen directory itself is is-directory, not a crash', () => {
    const fs = createFilesystem(ro());
    const [[dir]] = fs.preopens.getDirectories() as [[InstanceType<typeof fs.types.Descriptor>, string]];
    expect(thrown(() => dir.readViaStream(0n))).toBe('is-directory');
    expect(thrown(() => dir.read(10n, 0n))).toBe('is-directory');
    expect(thrown(() => dir.openAt({}, '.', {}, { read: true, write: true }))).toBe('read-only');
    expect(thrown(() => dir.openAt({}, '.', {}, { read: true }).read(1n, 0n))).toBe('is-directory');
    expect(dir.stat().type).toBe('directory');
  });
});

/** What a host call threw: an error-code string, or a description of anything else. */
function thrown(fn: () => unknown): string {
  try {
    fn();
    return 'returned';
  } catch (e) {
    return typeof e === 'string' ? e : `exception: ${String(e)}`;
  }
}

/** Every path under `dir` with its content (files) or link target (symlinks). */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    const path = join(entry.parentPath, entry.name);
    out[path] = entry.isFile() ? readFileSync(path, 'utf8') : entry.isSymbolicLink() ? `-> ${readlinkSync(path)}` : entry.isDirectory() ? 'dir' : 'other';
  }
  return out;
}

// Swaps `dir` for a symlink to `outside` (alternately absolute and relative) as fast as it can
// for `ms`, restoring the directory between swaps; prints how many swaps it made.
const SWAPPER = `
const { renameSync, symlinkSync, unlinkSync } = require('node:fs');
const [dir, saved, abs, rel, ms] = process.argv.slice(1);
let swaps = 0;
const end = Date.now() + Number(ms);
while (Date.now() < end) {
  renameSync(dir, saved);
  symlinkSync(swaps % 2 ? abs : rel, dir);
  unlinkSync(dir);
  renameSync(saved, dir);
  swaps++;
}
console.log(swaps);
`;

afterAll(() => rmSync(base, { recursive: true, force: true }));
