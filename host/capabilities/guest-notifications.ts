/**
 * What the host interfaces report from inside a worker (`notify` messages), rendered into the
 * host's log through the version's `GuestLogQueue` (asynchronous, bounded, drop-counting) by the
 * capability that sent them (its `notifications`, see `registry.ts`): guest log lines under the
 * `guest` key, refused outgoing requests as warnings. Metric samples and emitted events are for
 * the version's other observers (the metrics registry, the event runtime), not the log.
 */
import type { GuestLogQueue } from '../log/guest-log-queue.js';
import type { NotifyMessage } from '../sandbox/protocol.js';
import type { NotificationHandler } from './capability.js';
import { REGISTERED } from './registry.js';

const HANDLERS: ReadonlyMap<string, NotificationHandler> = new Map(REGISTERED.flatMap((c) => Object.entries(c.notifications ?? {})));

/**
 * Handles one notification of an instance.
 *
 * @param lines - the queue of a logger bound to the component (and version)
 */
export function handleGuestNotification(lines: GuestLogQueue, message: NotifyMessage): void {
  const handler = HANDLERS.get(message.topic);
  if (handler) handler(lines, message.payload);
  else lines.push('debug', { guest: { topic: message.topic } }, 'guest notification');
}
