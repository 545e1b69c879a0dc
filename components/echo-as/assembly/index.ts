// echo-as: a Liquid Nano plugin in AssemblyScript.
//
// handle(event) replies with one event: the same source, data and datacontenttype,
// type + ".echoed", id + "-echo", no time and no extensions. It logs "echo" at info level.
// An event of type "fail" is answered with err(failed("asked to fail")). An event that is itself
// an echo (type ending in ".echoed") is answered with no events: the host routes replies again
// (follow-up events), and echoing echoes would loop until its depth guard.
import { ErrorCase, Event, Level, fail, log } from "liquid-nano";

export function handle(event: Event): Event[] {
  log(Level.Info, "echo");
  if (event.type == "fail") return fail(ErrorCase.Failed, "asked to fail");
  if (event.type.endsWith(".echoed")) return [];
  const reply = new Event();
  reply.id = event.id + "-echo";
  reply.type = event.type + ".echoed";
  reply.source = event.source;
  reply.datacontenttype = event.datacontenttype;
  reply.data = event.data;
  return [reply];
}
