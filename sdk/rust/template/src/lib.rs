//! {{name}}: a Liquid Nano plugin in Rust.
//!
//! handle(event) replies with one event: the same source, data and datacontenttype,
//! type + ".echoed", id + "-echo", no time and no extensions. It logs "echo" at info level.
//! An event of type "fail" is answered with err(failed("asked to fail")). An event that is itself
//! an echo (type ending in ".echoed") is answered with no events: the host routes replies again
//! (follow-up events), and echoing echoes would loop until its depth guard.
//!
//! The `liquid_nano` crate (in the SDK, sdk/rust/) has the WIT types and every host service as a
//! function: log, config_get, kv_get/set/delete/list_keys, counter_add, gauge_set,
//! histogram_observe, emit. `export_plugin!(Plugin, lifecycle)` (and `, state`) also exports
//! the optional hooks; implement `liquid_nano::Lifecycle` (and `State`) then.
use liquid_nano::{export_plugin, log, Error, Event, Level};

struct Plugin;

impl liquid_nano::Plugin for Plugin {
    fn handle(event: Event) -> Result<Vec<Event>, Error> {
        log(Level::Info, "echo", &[]);
        if event.type_ == "fail" {
            return Err(Error::Failed("asked to fail".to_string()));
        }
        if event.type_.ends_with(".echoed") {
            return Ok(Vec::new());
        }
        Ok(vec![Event {
            id: event.id + "-echo",
            type_: event.type_ + ".echoed",
            source: event.source,
            time: None,
            datacontenttype: event.datacontenttype,
            data: event.data,
            extensions: Vec::new(),
        }])
    }
}

export_plugin!(Plugin);
