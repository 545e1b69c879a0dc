/** `liquid-nano:plugin/events`: each event an `emit` notification to the host. */
import type { ImportBuilder } from '../capability.js';

export const imports: ImportBuilder = (_grants, bridge) => ({
  'liquid-nano:plugin/events': {
    /**
     * Forwards the event to the host (the event runtime routes it after the call returns).
     * Past the call's `emit` limit (fan-out or depth guard) it is refused: jco turns the thrown
     * string into `err(string)` for the guest.
     */
    emit(event: unknown): void {
      const n = bridge.hostCall('emit');
      const limit = bridge.hostCallLimit('emit');
      if (limit && n > limit.max) throw limit.reason;
      bridge.notify('emit', event);
    },
  },
});
