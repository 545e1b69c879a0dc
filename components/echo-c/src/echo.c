/*
 * echo-c: the Liquid Nano example plugin in C.
 *
 * handle(event) replies with one event: the same source, data and datacontenttype,
 * type + ".echoed", id + "-echo", no time and no extensions. It logs "echo" at info level.
 * An event of type "fail" is answered with err(failed("asked to fail")). An event that is itself
 * an echo (type ending in ".echoed") is answered with no events: the host routes replies again
 * (follow-up events), and echoing echoes would loop until its depth guard.
 */
#define LIQUID_NANO_IMPLEMENTATION
#include "liquid_nano.h"

#include <stdlib.h>

bool plugin_handle(plugin_event_t *event, plugin_list_event_t *ret, plugin_error_t *err) {
  plugin_log(PLUGIN_LOG_INFO, "echo", NULL, 0);

  if (plugin_string_equals(event->type, "fail")) {
    plugin_event_free(event);
    plugin_error_set(err, PLUGIN_ERROR_FAILED, "asked to fail");
    return false;
  }

  if (plugin_string_ends_with(event->type, ".echoed")) {
    plugin_event_free(event);
    ret->ptr = NULL;
    ret->len = 0;
    return true;
  }

  plugin_event_t *out = calloc(1, sizeof *out);
  if (!out) abort();
  out->id = plugin_string_concat(event->id, "-echo");
  out->type = plugin_string_concat(event->type, ".echoed");
  /* Moved, not copied: the reply owns these buffers now. */
  out->source = event->source;
  out->datacontenttype = event->datacontenttype;
  out->data = event->data;
  out->time.is_some = false;
  out->extensions = (plugin_list_pair_t){(plugin_pair_t *)4, 0};
  event->source = (plugin_string_t){NULL, 0};
  event->datacontenttype.is_some = false;
  event->data = (plugin_list_u8_t){NULL, 0};
  plugin_event_free(event);

  ret->ptr = out;
  ret->len = 1;
  return true;
}
