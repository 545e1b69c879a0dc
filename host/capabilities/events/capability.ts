/**
 * `liquid-nano:plugin/events`: a guest emits events; the event runtime routes them after the
 * call returns. Always available, within the call's `emit` limit (fan-out and depth guards).
 */
import type { Capability } from '../capability.js';

export const eventsCapability: Capability = {
  name: 'events',
  interfaces: ['liquid-nano:plugin/events'],
  withoutGrant: 'available',
  grantFlag: null,
  grantManifest: null,
  imports: (_grants, bridge) => ({
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
  }),
};
