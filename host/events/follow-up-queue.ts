/**
 * The breadth-first queue of one ingress event's follow-up events, with its fan-out budget:
 * at most `maxFanOut` events are ever accepted, all generations together. The runtime takes one
 * depth level at a time: every event pushed while a level is delivered belongs to the next one.
 */
import type { PluginEvent } from '../engine/plugin-event.js';

/** An event waiting to be routed. */
export interface QueuedEvent {
  readonly event: PluginEvent;
  readonly depth: number;
  readonly parentEventId: string | null;
}

export class FollowUpQueue {
  readonly maxFanOut: number;
  readonly #items: QueuedEvent[] = [];
  #head = 0;
  #accepted = 0;

  constructor(ingress: PluginEvent, maxFanOut: number) {
    this.maxFanOut = maxFanOut;
    this.#items.push({ event: ingress, depth: 0, parentEventId: null });
  }

  /** Follow-ups that may still be accepted. */
  get remaining(): number {
    return this.maxFanOut - this.#accepted;
  }

  /** Appends as many of `events` as the budget allows, in order; returns how many. */
  push(events: readonly PluginEvent[], depth: number, parentEventId: string): number {
    const take = Math.min(events.length, this.remaining);
    for (let i = 0; i < take; i++) this.#items.push({ event: events[i]!, depth, parentEventId });
    this.#accepted += take;
    return take;
  }

  /** Every event queued since the last call (one depth level, oldest first); empty when done. */
  takeLevel(): QueuedEvent[] {
    const level = this.#items.slice(this.#head);
    this.#head = this.#items.length;
    return level;
  }
}
