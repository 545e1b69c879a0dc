/**
 * MQTT topic filters (MQTT 3.1.1 §4.7, MQTT 5 §4.7): `+` matches exactly one level, `#` (last,
 * alone in its level) the rest, including none; a filter starting with a wildcard does not match
 * topics starting with `$` (`$SYS/…`). And the templates that turn a matched topic into an event
 * type or source, or an event into a topic: `{1}`, `{2}` … are the levels the wildcards matched
 * (`#`: the rest, joined by `/`), `{topic}` the whole topic, `{type}`, `{source}`, `{id}` an
 * event's attributes.
 */

/**
 * Why `filter` is not a valid topic filter, or null when it is.
 *
 * @example
 * filterProblem('a/#/b') // "'#' must be the last level, alone"
 */
export function filterProblem(filter: string): string | null {
  if (filter.length === 0) return 'a topic filter is not empty';
  if (filter.includes('\0')) return 'a topic filter holds no NUL';
  if (Buffer.byteLength(filter) > 65_535) return 'a topic filter is at most 65535 bytes';
  const levels = filter.split('/');
  for (let i = 0; i < levels.length; i++) {
    const level = levels[i]!;
    if (level.includes('#') && (level !== '#' || i !== levels.length - 1)) return "'#' must be the last level, alone";
    if (level.includes('+') && level !== '+') return "'+' must be alone in its level";
  }
  return null;
}

/** Why `topic` cannot be published to, or null when it can. */
export function topicProblem(topic: string): string | null {
  if (topic.length === 0) return 'a topic is not empty';
  if (/[+#\0]/.test(topic)) return 'a topic holds no wildcard (+, #) and no NUL';
  if (Buffer.byteLength(topic) > 65_535) return 'a topic is at most 65535 bytes';
  return null;
}

/** A compiled topic filter. */
export class TopicFilter {
  readonly filter: string;
  readonly #levels: readonly string[];

  /** @throws Error naming the problem, for an invalid filter (the config schema checks first) */
  constructor(filter: string) {
    const problem = filterProblem(filter);
    if (problem) throw new Error(problem);
    this.filter = filter;
    this.#levels = filter.split('/');
  }

  /**
   * The levels the wildcards matched (in order; `#` gives the rest joined by `/`, possibly
   * empty), or null when `topic` does not match.
   */
  match(topic: string): string[] | null {
    const levels = topic.split('/');
    const first = this.#levels[0];
    if (topic.startsWith('$') && (first === '+' || first === '#')) return null;
    const captured: string[] = [];
    for (let i = 0; i < this.#levels.length; i++) {
      const want = this.#levels[i]!;
      if (want === '#') {
        captured.push(levels.slice(i).join('/'));
        return captured;
      }
      const got = levels[i];
      if (got === undefined) return null;
      if (want === '+') captured.push(got);
      else if (want !== got) return null;
    }
    return levels.length === this.#levels.length ? captured : null;
  }
}

/** Fills `{name}` placeholders of `template` from `values` (`{1}` from index 1 of a 1-based list); unknown ones stay as written. */
export function fillTemplate(template: string, values: Readonly<Record<string, string>>): string {
  return template.replace(/\{([a-z0-9]{1,16})\}/g, (whole, name: string) => values[name] ?? whole);
}

/** The placeholders of a subscription's templates: `{topic}` and each captured level by number. */
export function topicValues(topic: string, captured: readonly string[]): Record<string, string> {
  const values: Record<string, string> = { topic };
  for (let i = 0; i < captured.length; i++) values[String(i + 1)] = captured[i]!;
  return values;
}
