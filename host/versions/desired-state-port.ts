/**
 * The desired-state port: how the version manager tells a shared control plane (the cluster,
 * host/cluster/) about an operator's change before it commits it locally. A single host has no
 * port and behaves as it always did.
 *
 * The contract, per change an operator (admin API, CLI, seeding) or the health monitor asks for:
 * 1. `observe(name)` when the change starts, before anything local: the port remembers which
 *    revision of the name's desired state this host acted on (the ticket).
 * 2. `publish(ticket, change)` right before the local swap (after validate, prepare, warm and
 *    probe for a deploy; after the target started for a rollback): a revision-checked write.
 *    When another host changed the name since `observe`, it throws
 *    `LN_ERR_VERSION_REVISION_CONFLICT` and the local change is dropped (the candidate stops,
 *    the active version serves on); when the control plane cannot be reached it throws
 *    `LN_ERR_VERSION_CLUSTER_UNAVAILABLE`, likewise. A host never commits what it did not publish.
 * 3. Changes the reconciler applies *from* the desired state pass `fromDesiredState: true` and
 *    skip the port: applying the record must not write it again.
 */
import type { JsonEnvelope } from '../engine/plugin-event.js';
import type { JsonObject } from './audit-trail.js';
import type { Strategy } from './deployment.js';

/** What a host read of a name's desired state when a change started: the revision it builds on (0: none yet). */
export interface DesiredTicket {
  readonly name: string;
  readonly revision: number;
}

/** One version as the desired state names it: the registry's binding of a name@version. */
export interface DesiredVersion {
  readonly version: string;
  readonly digest: string;
  /** The manifest as the registry stores it (`storedManifest`). */
  readonly manifest: JsonObject;
  /** The probe event of the deploy, when it had one. */
  readonly probe?: JsonEnvelope;
}

/** A change to what a name serves, as published to the desired state. */
export type DesiredChange =
  | { readonly kind: 'deploy'; readonly target: DesiredVersion; readonly strategy: Strategy; readonly canaryWeight: number }
  | { readonly kind: 'promote' }
  | { readonly kind: 'abort' }
  | { readonly kind: 'canary-weight'; readonly weight: number }
  | { readonly kind: 'rollback'; readonly to: string };

/** Who asked for a change, and why (kept in the record for `lnano ls --hosts` and logs). */
export interface DesiredActor {
  readonly actor: string;
  readonly reason?: string;
  /** Whether the health monitor decided it. */
  readonly automatic?: boolean;
}

/** The port the cluster implements; see the module comment for the contract. */
export interface DesiredStatePort {
  /**
   * The ticket for a change to `name` starting now.
   *
   * @throws LnError `LN_ERR_VERSION_CLUSTER_UNAVAILABLE`
   */
  observe(name: string): Promise<DesiredTicket>;
  /**
   * Writes `change` over the revision of `ticket` (and, for a deploy, makes its artifact
   * available to every host first).
   *
   * @throws LnError `LN_ERR_VERSION_REVISION_CONFLICT`, `LN_ERR_VERSION_CLUSTER_UNAVAILABLE`,
   *   `LN_ERR_VERSION_STATE` when the desired state does not allow the change (e.g. promote
   *   without a canary)
   */
  publish(ticket: DesiredTicket, change: DesiredChange, who: DesiredActor): Promise<void>;
}

/** Options of a change the reconciler applies from the desired state (the port is skipped). */
export interface ReplicaOptions {
  /** Set by the cluster reconciler only: the change comes from the desired state, it is not published. */
  readonly fromDesiredState?: boolean;
  /**
   * Asked when the change's turn comes (changes to one name run one at a time): true drops it
   * with `LN_ERR_VERSION_STATE`, because a newer record arrived while it waited (the reconciler
   * applies that one instead; an older record never swaps in over a newer change).
   */
  readonly superseded?: () => boolean;
}
