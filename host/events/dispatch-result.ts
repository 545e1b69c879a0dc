/**
 * What routing one ingress event produced: each plugin's outcome, the follow-up outcomes as a
 * flat breadth-first list (each with its `depth` and `parentEventId`), the follow-ups a guard
 * did not route, and whether `stopOnError` stopped it. The ingress answers this (plus `requestId`).
 */
import type { JsonEnvelope } from '../engine/plugin-event.js';
import type { ErrorCode } from '../errors/codes.js';
import type { PluginCallOutcome } from '../versions/version-manager.js';

/** One plugin's outcome for one event, with where the event sits in the follow-up tree. */
export type EventOutcome = PluginCallOutcome & {
  readonly eventId: string;
  readonly eventType: string;
  /** 0: the ingress event; n: an n-th generation follow-up. */
  readonly depth: number;
  /** The event whose handling produced this event; null for the ingress event. */
  readonly parentEventId: string | null;
  /** The events the plugin emitted through `liquid-nano:plugin/events` during the call. */
  readonly emitted: JsonEnvelope[];
  /** The call's diagnostics timeline entry. */
  readonly seq: number;
};

/** Follow-up events a guard did not route. */
export interface DroppedFollowUps {
  readonly code: Extract<ErrorCode, 'LN_ERR_EVENT_DEPTH_LIMIT' | 'LN_ERR_EVENT_FANOUT_LIMIT' | 'LN_ERR_EVENT_INVALID'>;
  readonly message: string;
  /** The plugin that returned or emitted them, and the event it was handling. */
  readonly plugin: string;
  readonly parentEventId: string;
  /** The depth the dropped events would have had. */
  readonly depth: number;
  readonly count: number;
}

export interface DispatchResult {
  /** The ingress event's id and type. */
  readonly id: string;
  readonly type: string;
  /** The plugins that got the ingress event, in delivery order. */
  readonly results: EventOutcome[];
  /** Every follow-up delivery, breadth-first (all of depth 1, then 2, …). */
  readonly followUps: EventOutcome[];
  readonly dropped: DroppedFollowUps[];
  /** Set when `stopOnError` stopped delivery: the failed call. */
  readonly stopped: { readonly plugin: string; readonly eventId: string; readonly code: string } | null;
  /** The ingress event's trace, when a span was recording. */
  readonly traceId?: string;
}
