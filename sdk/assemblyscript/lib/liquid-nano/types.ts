// The WIT types of `liquid-nano:plugin/types@0.1.0` as AssemblyScript classes.

/** `types.pair`: a key/value pair (extension attributes, log fields, metric labels, config). */
export class Pair {
  constructor(public key: string, public value: string) {}
}

/** `types.event`: an event, shaped after the CloudEvents 1.0 envelope. */
export class Event {
  /** Identifies the event; unique per `source`. */
  id: string = "";
  /** The event type, dot-separated by convention, e.g. `sensor.reading`. */
  type: string = "";
  /** Where the event came from, a URI-reference, e.g. `/sensors/42`. */
  source: string = "";
  /** When it happened (RFC 3339), if known. */
  time: string | null = null;
  /** The media type of `data`, if known. */
  datacontenttype: string | null = null;
  /** The payload, as bytes; JSON payloads arrive as UTF-8 text. */
  data: Uint8Array = new Uint8Array(0);
  /** CloudEvents extension attributes, in order. */
  extensions: Pair[] = [];

  /** `data` decoded as UTF-8 text (e.g. a JSON payload). */
  text(): string {
    return String.UTF8.decodeUnsafe(this.data.dataStart, <usize>this.data.byteLength);
  }

  /** Sets `data` to the UTF-8 bytes of `text`. */
  setText(text: string): void {
    this.data = Uint8Array.wrap(String.UTF8.encode(text));
  }
}

/** The cases of `types.error`, in WIT order. */
export enum ErrorCase {
  /** The event itself is wrong (malformed data, missing field). Retrying will not help. */
  InvalidEvent = 0,
  /** The plugin does not handle this event type. */
  Unsupported = 1,
  /** Something the plugin needs is unavailable right now; a retry may succeed. */
  Unavailable = 2,
  /** The plugin failed for another reason. */
  Failed = 3,
}

/** `types.error`: why a plugin could not handle an event. */
export class PluginError {
  constructor(public kind: ErrorCase, public message: string) {}
}
