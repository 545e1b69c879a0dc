// echo-ts: the Liquid Nano example plugin in TypeScript (same behaviour as echo-c).
//
// handle(event) replies with one event: the same source, data and datacontenttype,
// type + ".echoed", id + "-echo", no time and no extensions. It logs "echo" at info level.
// An event of type "fail" is answered with err(failed("asked to fail")). An event that is itself
// an echo (type ending in ".echoed") is answered with no events: the host routes replies again
// (follow-up events), and echoing echoes would loop until its depth guard.
import { log } from 'liquid-nano:plugin/log@0.1.0';
import type { Event, Error as PluginError } from 'liquid-nano:plugin/types@0.1.0';

/** Thrown to return `err(e)` from a `result`-returning export (componentize-js convention). */
class ResultError extends Error {
  constructor(readonly payload: PluginError) {
    super(payload.val);
  }
}

function handle(event: Event): Event[] {
  log('info', 'echo', []);
  if (event.type === 'fail') {
    throw new ResultError({ tag: 'failed', val: 'asked to fail' });
  }
  if (event.type.endsWith('.echoed')) return [];
  return [
    {
      id: `${event.id}-echo`,
      type: `${event.type}.echoed`,
      source: event.source,
      datacontenttype: event.datacontenttype,
      data: event.data,
      extensions: [],
    },
  ];
}

/** The `liquid-nano:plugin/handler@0.1.0` export. */
export const handler = { handle };
