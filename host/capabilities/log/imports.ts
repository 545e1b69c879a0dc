/** `liquid-nano:plugin/log`, rate-limited inside the worker. */
import type { ImportBuilder } from '../capability.js';
import type { LogGrant } from './capability.js';
import { guestLog } from './guest-log.js';

export const imports: ImportBuilder<LogGrant> = (grants, bridge) => ({
  'liquid-nano:plugin/log': { log: guestLog(grants.plugin.logLinesPerSecond, grants.plugin.logBytesPerSecond, bridge) },
});
