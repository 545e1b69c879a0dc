// {{name}}: a Liquid Nano plugin in TypeScript.
//
// handle(event) replies with one event: the same source, data and datacontenttype,
// type + ".echoed", id + "-echo", no time and no extensions. It logs "echo" at info level.
// An event of type "fail" is answered with err(failed("asked to fail")). An event that is itself
// an echo (type ending in ".echoed") is answered with no events: the host routes replies again
// (follow-up events), and echoing echoes would loop until its depth guard.
import { log } from 'liquid-nano:plugin/log@0.1.0';
import type { Event } from 'liquid-nano:plugin/types@0.1.0';
import { err, event, failed } from '@liquid-nano/guest';

function handle(input: Event): Event[] {
  log('info', 'echo', []);
  if (input.type === 'fail') return err(failed('asked to fail'));
  if (input.type.endsWith('.echoed')) return [];
  return [
    event({
      id: `${input.id}-echo`,
      type: `${input.type}.echoed`,
      source: input.source,
      datacontenttype: input.datacontenttype,
      data: input.data,
    }),
  ];
}

/** The `liquid-nano:plugin/handler@0.1.0` export. */
export const handler = { handle };
