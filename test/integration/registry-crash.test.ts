// Kill -9 at any moment of a deploy: after a restart the registry serves the old or the new
// version, never a mix or nothing, with no partial records. A child process (the compiled host in
// dist/) deploys in a loop and is killed with SIGKILL at a random moment; a fresh process then
// restarts on the same data dir and reports the invariants.
import { spawn } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/cli.js';

const CHILD = join(ROOT, 'test', 'helpers', 'registry-crash-child.mjs');
const KILLS = 20;

interface Invariants {
  integrity: string[];
  audit: { ok: boolean; entries?: number; seq?: number; reason?: string };
  entries: number;
  deploys: number;
  interrupted: number;
  serving: number;
  temporaries: number;
  orphans: number;
  problems: string[];
}

/** Starts a worker, waits until it has restarted and begun deploying, lets it run a random while, then SIGKILLs it. */
function workAndKill(dataDir: string, run: number): Promise<{ signal: NodeJS.Signals | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CHILD, 'work', dataDir, String(run)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString();
    });
    child.stdout.once('data', () => {
      setTimeout(() => child.kill('SIGKILL'), randomInt(250));
    });
    child.on('error', reject);
    child.on('exit', (_code, signal) => resolve({ signal, stderr }));
  });
}

function check(dataDir: string): Promise<Invariants> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CHILD, 'check', dataDir], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => {
      stdout += c.toString();
    });
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString();
    });
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code === 0) resolve(JSON.parse(stdout) as Invariants);
      else reject(new Error(`check exited with ${code}: ${stderr}`));
    });
  });
}

describe('registry crash safety', () => {
  it(`keeps every invariant across ${KILLS} SIGKILLs in the middle of deploys`, async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'lnano-registry-crash-'));
    let interruptedRuns = 0;
    let last: Invariants | undefined;
    for (let run = 1; run <= KILLS; run++) {
      const { signal, stderr } = await workAndKill(dataDir, run);
      expect(stderr).toBe('');
      expect(signal).toBe('SIGKILL');
      const inv = await check(dataDir);
      expect(inv.integrity, `run ${run}`).toEqual(['ok']);
      expect(inv.audit, `run ${run}`).toMatchObject({ ok: true });
      expect(inv.problems, `run ${run}`).toEqual([]);
      expect(inv.deploys).toBeGreaterThanOrEqual(last?.deploys ?? 0);
      if (inv.interrupted > 0) interruptedRuns++;
      last = inv;
    }
    // The workers did deploy (and at least one name is being served after all the kills).
    expect(last!.deploys).toBeGreaterThan(0);
    expect(last!.serving).toBeGreaterThan(0);
    console.info(
      `registry crash test: ${KILLS} kills, ${last!.deploys} deploys, ${last!.entries} audit entries, ${interruptedRuns} runs caught a deploy before its swap`,
    );
  }, 180_000); // 20 child processes each start Node and SQLite: slow on a loaded 2-core machine, never a timing check
});
