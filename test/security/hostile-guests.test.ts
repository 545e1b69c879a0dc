// Guests that abuse always-available host interfaces: the host bounds what they can push at it.
import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { closedGrants } from '../../host/capabilities/grants.js';
import { linkerSpec } from '../../host/capabilities/linker-spec.js';
import type { GuestLogLine } from '../../host/capabilities/log/guest-log.js';
import { findExport } from '../../host/engine/component.js';
import { Engine } from '../../host/engine/engine.js';
import { Instance } from '../../host/sandbox/instance.js';
import { fixture } from '../helpers/cli.js';

const engine = new Engine();
const instances: Instance[] = [];
afterAll(async () => {
  await Promise.all(instances.map((i) => i.dispose()));
});

describe('a guest logging 100 MB', () => {
  it('is rate-limited inside its own worker: only a bounded share crosses to the host, drops are counted', async () => {
    const component = await engine.load(readFileSync(fixture('log-flood')), 'log-flood');
    const lines: GuestLogLine[] = [];
    const instance = await Instance.start(component, {
      linker: linkerSpec(closedGrants('log-flood')),
      onNotify: (m) => {
        if (m.topic === 'log') lines.push(m.payload as GuestLogLine);
      },
    });
    instances.push(instance);
    const total = 100 * 1024; // 1 KiB lines: 100 MB
    const started = performance.now();
    const outcome = await instance.call(findExport(component.shape, 'flood')!, [total]);
    const seconds = (performance.now() - started) / 1000;
    expect(outcome.value).toBe(total);
    expect(outcome.usage.hostCalls.log).toBe(total);
    // Default limits: 1000 lines and 1 MiB a second, with one second of burst.
    expect(lines.length).toBeLessThanOrEqual(Math.ceil(1024 + 1024 * seconds));
    expect(lines.length).toBeLessThan(total / 10);
    const reportedDrops = lines.reduce((n, l) => n + (l.dropped ?? 0), 0);
    expect(reportedDrops + lines.length).toBeLessThanOrEqual(total);
    expect(lines.every((l) => l.message.length <= 8193)).toBe(true);
    console.info(`[hostile] 100 MB of log in ${seconds.toFixed(2)} s: ${lines.length} lines forwarded, ${reportedDrops} drops reported`);
    // The instance, and the host, carry on.
    expect((await instance.call(findExport(component.shape, 'ok')!, [])).value).toBe(1);
  });
});
