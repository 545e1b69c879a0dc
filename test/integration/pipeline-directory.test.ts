// Hot reload of a real pipeline directory (fs.watch + debounce): a changed file replaces its
// pipeline for new runs while a running run finishes on the old definition; an invalid file
// keeps the previous definition and reports its coded error; a deleted file removes it.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { PluginCaller } from '../../host/events/plugin-caller.js';
import { PipelineService } from '../../host/pipelines/pipeline-service.js';

const calls: string[] = [];
let release: () => void = () => {};
const caller: PluginCaller = {
  async invoke(plugin, event) {
    calls.push(plugin);
    if (plugin === 'slow')
      await new Promise<void>((r) => {
        release = r;
      });
    return { plugin, version: '1.0.0', ok: true, durationMs: 1, events: [{ specversion: '1.0', id: event.id, type: 'out', source: '/t' }] };
  },
};

const open: PipelineService[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => s.close()));
});

/** Opens a service whose `changed()` resolves at the next directory change it notices. */
async function service(dir: string): Promise<PipelineService & { changed: () => Promise<string[]> }> {
  let waiting: ((names: string[]) => void) | undefined;
  const s = await PipelineService.open({ dir, caller, debounceMs: 20, rescanIntervalMs: 60_000, onChange: (names) => waiting?.(names) });
  open.push(s);
  return Object.assign(s, {
    changed: () =>
      new Promise<string[]>((resolve) => {
        waiting = resolve;
      }),
  });
}

const pipeline = (component: string, extra: Record<string, unknown> = {}) =>
  JSON.stringify({ name: 'p', trigger: { events: ['t.*'] }, steps: [{ id: 's', component }], ...extra });
const event = { id: 'e', type: 't.x', source: '/t' };

describe('pipeline directory hot reload', () => {
  it('creates the directory on demand and picks up change, invalid and delete from fs.watch', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'lnano-pipedir-')), 'pipelines');
    const s = await service(dir);
    expect(s.list()).toEqual([]);

    let changed = s.changed();
    writeFileSync(join(dir, 'p.json'), pipeline('slow'));
    expect(await changed).toEqual(['p']);
    expect(s.list()).toEqual([expect.objectContaining({ name: 'p', valid: true, order: ['s'] })]);
    const running = s.run('p', event);
    await new Promise((r) => setTimeout(r, 10));

    // Changed: new runs use the new definition; the running run finishes on the old one.
    changed = s.changed();
    writeFileSync(join(dir, 'p.json'), pipeline('fast'));
    await changed;
    expect(s.onEvent(event)).toEqual([{ name: 'p', runId: expect.stringMatching(/^r-/) }]);
    release();
    const old = await running.done;
    expect(old.steps[0]!.component).toBe('slow');
    await new Promise((r) => setTimeout(r, 10));
    expect(calls).toEqual(['slow', 'fast']);

    // Invalid: the previous definition keeps serving, the list reports the coded error.
    changed = s.changed();
    writeFileSync(join(dir, 'p.json'), pipeline('fast', { steps: [{ id: 's', component: 'fast', input: 'ghost' }] }));
    await changed;
    expect(s.list()).toEqual([
      {
        name: 'p',
        file: join(dir, 'p.json'),
        valid: false,
        servingPrevious: true,
        error: { code: 'LN_ERR_CONFIG_PIPELINE_INVALID', message: expect.stringContaining('steps.0.input: unknown step "ghost"') },
      },
    ]);
    expect((await s.run('p', event).done).steps[0]!.component).toBe('fast');
    changed = s.changed();
    writeFileSync(join(dir, 'p.json'), '{ "name": "p", ');
    await changed;
    expect(s.list()[0]).toMatchObject({ valid: false, error: { message: expect.stringContaining('not JSON') } });

    // Deleted: gone.
    changed = s.changed();
    rmSync(join(dir, 'p.json'));
    expect(await changed).toEqual(['p']);
    expect(s.list()).toEqual([]);
    expect(() => s.run('p', event)).toThrow(expect.objectContaining({ code: 'LN_ERR_EVENT_PIPELINE_NOT_FOUND' }));
    expect(s.onEvent(event)).toEqual([]);
  });

  it('a file that never was valid cannot run; YAML files load; other files are ignored', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lnano-pipedir-'));
    writeFileSync(join(dir, 'broken.json'), '[]');
    writeFileSync(join(dir, 'y.yaml'), 'name: y\nsteps:\n  - id: a\n    component: fast\n');
    writeFileSync(join(dir, 'notes.txt'), 'not a pipeline');
    const s = await service(dir);
    expect(s.list().map((p) => [p.name, p.valid])).toEqual([
      ['broken', false],
      ['y', true],
    ]);
    expect(() => s.run('broken')).toThrow(expect.objectContaining({ code: 'LN_ERR_EVENT_PIPELINE_NOT_FOUND' }));
    expect((await s.run('y').done).status).toBe('succeeded');
    // Saving through the service writes JSON over the file that defines the pipeline.
    await s.save('y', { name: 'y', steps: [{ id: 'b', component: 'fast' }] });
    expect(s.get('y').pipeline).toMatchObject({ valid: true, order: ['b'], file: join(dir, 'y.yaml') });
  });
});
