/**
 * What the host interfaces report from inside a worker (`notify` messages), rendered into the
 * host's log through the version's `GuestLogQueue` (asynchronous, bounded, drop-counting): guest
 * log lines under the `guest` key, refused outgoing requests as warnings.
 * Metric samples and emitted events are for the version's other observers (the metrics registry,
 * the event runtime), not the log.
 */
import type { GuestLogQueue } from '../log/guest-log-queue.js';
import type { NotifyMessage } from '../sandbox/protocol.js';
import { HTTP_DENIED_TOPIC, type HttpDenial } from './http/http-outgoing.js';
import type { GuestLogLine } from './plugin-imports.js';

/**
 * Handles one notification of an instance.
 *
 * @param lines - the queue of a logger bound to the component (and version)
 */
export function handleGuestNotification(lines: GuestLogQueue, message: NotifyMessage): void {
  switch (message.topic) {
    case 'log': {
      const { level, message: text, fields, dropped } = message.payload as GuestLogLine;
      const entry = { guest: { level, message: String(text).slice(0, 8192), fields: Object.fromEntries(fields.slice(0, 64)), ...(dropped ? { dropped } : {}) } };
      lines.push(level === 'error' || level === 'warn' || level === 'info' ? level : 'debug', entry, 'guest log');
      return;
    }
    case 'metric':
      return;
    case HTTP_DENIED_TOPIC:
      lines.push('warn', { denied: message.payload as HttpDenial }, 'outgoing HTTP request refused');
      return;
    default:
      lines.push('debug', { guest: { topic: message.topic } }, 'guest notification');
  }
}
