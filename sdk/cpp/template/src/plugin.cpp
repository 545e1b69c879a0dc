// {{name}}: a Liquid Nano plugin in C++.
//
// handle(event) replies with one event: the same source, data and datacontenttype,
// type + ".echoed", id + "-echo", no time and no extensions. It logs "echo" at info level.
// An event of type "fail" is answered with err(failed("asked to fail")). An event that is itself
// an echo (type ending in ".echoed") is answered with no events: the host routes replies again
// (follow-up events), and echoing echoes would loop until its depth guard.
//
// liquid_nano.hpp (in the SDK, sdk/cpp/) has the WIT types as std:: types and every host service
// as a function: log, config_get, kv_get/set/delete/list_keys, counter_add, gauge_set,
// histogram_observe, emit. Define LIQUID_NANO_LIFECYCLE (and LIQUID_NANO_STATE) before the
// include and add init/teardown (and snapshot/restore) to the class for the optional hooks.
#define LIQUID_NANO_IMPLEMENTATION
#include "liquid_nano.hpp"

namespace ln = liquid_nano;

static bool ends_with(const std::string &s, const std::string &suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

struct Plugin {
  static ln::Result<std::vector<ln::Event>> handle(ln::Event event) {
    ln::log(ln::Level::Info, "echo");
    if (event.type == "fail") return ln::err(ln::Error::failed("asked to fail"));
    if (ends_with(event.type, ".echoed")) return ln::ok(std::vector<ln::Event>{});

    ln::Event reply;
    reply.id = event.id + "-echo";
    reply.type = event.type + ".echoed";
    reply.source = std::move(event.source);
    reply.datacontenttype = std::move(event.datacontenttype);
    reply.data = std::move(event.data);
    std::vector<ln::Event> out;
    out.push_back(std::move(reply));
    return ln::ok(std::move(out));
  }
};

LIQUID_NANO_EXPORT(Plugin)
