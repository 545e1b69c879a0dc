/**
 * The audit trail: every deploy, promote, abort, rollback, grant approval and refused attempt,
 * with actor, time, digests and reason, in the registry database.
 *
 * Append-only and hash-chained: entry `n` stores `hash = sha256(prev_hash + canonical JSON of its
 * fields)` (keys sorted, seq included) and `prev_hash` = entry `n-1`'s hash (64 zeros for the
 * first). `audit_head` records the last entry's seq and hash. `verify()` recomputes the chain, so
 * an edited, deleted, reordered or inserted row is reported with the first entry that does not
 * verify. Triggers refuse UPDATE and DELETE through SQL; the chain catches edits made around them.
 */
import { createHash } from 'node:crypto';
import { LnError } from '../errors/ln-error.js';
import type { RegistryDatabase } from './registry-database.js';

/** A JSON value, as stored in `details`. */
export type JsonValue = string | number | boolean | null | readonly JsonValue[] | { readonly [key: string]: JsonValue };

/** A JSON object. */
export type JsonObject = { readonly [key: string]: JsonValue };

/** What an audit entry can record. */
export const AUDIT_ACTIONS = [
  'deploy-started',
  'deployed',
  'deploy-failed',
  'promoted',
  'aborted',
  'canary-weight',
  'rolled-back',
  'auto-rolled-back',
  'grants-approved',
  'pruned',
  'refused',
] as const;

/** One of `AUDIT_ACTIONS`. `refused` records any refused attempt; `details.attempted` says which. */
export type AuditAction = (typeof AUDIT_ACTIONS)[number];

/** What the caller supplies for an entry; the trail adds seq, time and the hashes. */
export interface AuditEntryInput {
  readonly action: AuditAction;
  /** Who did it: an admin token's name, `cli`, `auto-rollback`, `recovery`, … */
  readonly actor: string;
  readonly name?: string | null;
  readonly version?: string | null;
  readonly digest?: string | null;
  /** The version that was active before (for swaps and rollbacks). */
  readonly fromVersion?: string | null;
  readonly reason?: string | null;
  readonly details?: JsonObject;
}

/** A stored entry. */
export interface AuditEntry {
  readonly seq: number;
  /** ISO 8601, UTC. */
  readonly time: string;
  readonly actor: string;
  readonly action: AuditAction;
  readonly name: string | null;
  readonly version: string | null;
  readonly digest: string | null;
  readonly fromVersion: string | null;
  readonly reason: string | null;
  readonly details: JsonObject;
  readonly prevHash: string;
  readonly hash: string;
}

/** The result of `verify()`. */
export type AuditVerification =
  | { readonly ok: true; readonly entries: number; readonly head: string }
  | { readonly ok: false; readonly seq: number; readonly reason: string };

/** The chain's starting `prev_hash`. */
export const GENESIS_HASH = '0'.repeat(64);

interface AuditRow {
  seq: number;
  time: string;
  actor: string;
  action: string;
  name: string | null;
  version: string | null;
  digest: string | null;
  from_version: string | null;
  reason: string | null;
  details: string;
  prev_hash: string;
  hash: string;
}

/** JSON with object keys sorted at every level and no whitespace: one text per value. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value ?? null);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj)
    .filter((k) => obj[k] !== undefined)
    .sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(obj[k])}`).join(',')}}`;
}

/** The hash of an entry's fields chained to the previous hash. */
export function entryHash(prevHash: string, entry: Omit<AuditEntry, 'prevHash' | 'hash'>): string {
  const fields = {
    seq: entry.seq,
    time: entry.time,
    actor: entry.actor,
    action: entry.action,
    name: entry.name,
    version: entry.version,
    digest: entry.digest,
    fromVersion: entry.fromVersion,
    reason: entry.reason,
    details: entry.details,
  };
  return createHash('sha256')
    .update(prevHash + canonicalJson(fields))
    .digest('hex');
}

function fromRow(row: AuditRow): AuditEntry {
  return {
    seq: row.seq,
    time: row.time,
    actor: row.actor,
    action: row.action as AuditAction,
    name: row.name,
    version: row.version,
    digest: row.digest,
    fromVersion: row.from_version,
    reason: row.reason,
    details: JSON.parse(row.details) as JsonObject,
    prevHash: row.prev_hash,
    hash: row.hash,
  };
}

const MAX_LIST = 1000;

/**
 * The hash-chained audit trail on a registry database.
 *
 * @example
 * const audit = new AuditTrail(db);
 * audit.append({ action: 'grants-approved', actor: 'ops', name: 'telemetry', version: '1.3.0', details: { added: ['http'] } });
 * const check = audit.verify(); // { ok: true, entries, head } or { ok: false, seq, reason }
 */
export class AuditTrail {
  readonly #db: RegistryDatabase;
  readonly #now: () => Date;

  /** @param options.now - the clock (tests pass their own) */
  constructor(db: RegistryDatabase, options: { now?: () => Date } = {}) {
    this.#db = db;
    this.#now = options.now ?? (() => new Date());
  }

  /**
   * Appends an entry and returns it. Runs inside the caller's transaction when there is one, so
   * the entry commits (or not) with the change it records.
   *
   * @throws LnError `LN_ERR_INTERNAL_UNEXPECTED` for an unknown action or an empty actor
   */
  append(input: AuditEntryInput): AuditEntry {
    if (!(AUDIT_ACTIONS as readonly string[]).includes(input.action)) {
      throw new LnError('LN_ERR_INTERNAL_UNEXPECTED', { reason: `unknown audit action "${String(input.action)}"` });
    }
    if (typeof input.actor !== 'string' || input.actor.length === 0 || input.actor.length > 256) {
      throw new LnError('LN_ERR_INTERNAL_UNEXPECTED', { reason: 'an audit entry needs an actor of 1-256 characters' });
    }
    return this.#db.transaction(() => {
      const head = this.#db.statement<{ seq: number; hash: string }>('SELECT seq, hash FROM audit_head WHERE id = 1').get();
      const prevHash = head?.hash ?? GENESIS_HASH;
      const details = JSON.parse(canonicalJson(input.details ?? {})) as JsonObject;
      const fields = {
        seq: (head?.seq ?? 0) + 1,
        time: this.#now().toISOString(),
        actor: input.actor,
        action: input.action,
        name: input.name ?? null,
        version: input.version ?? null,
        digest: input.digest ?? null,
        fromVersion: input.fromVersion ?? null,
        reason: input.reason ?? null,
        details,
      };
      const hash = entryHash(prevHash, fields);
      this.#db
        .statement(`INSERT INTO audit (seq, time, actor, action, name, version, digest, from_version, reason, details, prev_hash, hash)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
        .run(
          fields.seq,
          fields.time,
          fields.actor,
          fields.action,
          fields.name,
          fields.version,
          fields.digest,
          fields.fromVersion,
          fields.reason,
          canonicalJson(details),
          prevHash,
          hash,
        );
      this.#db
        .statement('INSERT INTO audit_head (id, seq, hash) VALUES (1, ?, ?) ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash')
        .run(fields.seq, hash);
      return { ...fields, prevHash, hash };
    });
  }

  /**
   * Entries in seq order: all, or one plugin's (`name`), those after seq `after` (for paging), at
   * most `limit` (default and maximum 1000). `newestFirst` returns the last `limit` entries, newest
   * first, before seq `before` when given.
   */
  list(query: { name?: string; after?: number; before?: number; limit?: number; newestFirst?: boolean } = {}): AuditEntry[] {
    const limit = Math.max(1, Math.min(MAX_LIST, Math.trunc(query.limit ?? MAX_LIST)));
    const where = ['seq > ?', 'seq < ?'];
    const params: unknown[] = [query.after ?? 0, query.before ?? Number.MAX_SAFE_INTEGER];
    if (query.name !== undefined) {
      where.push('name = ?');
      params.push(query.name);
    }
    const order = query.newestFirst ? 'DESC' : 'ASC';
    return this.#db
      .statement<AuditRow>(`SELECT * FROM audit WHERE ${where.join(' AND ')} ORDER BY seq ${order} LIMIT ?`)
      .all(...params, limit)
      .map(fromRow);
  }

  /** The number of entries. */
  count(): number {
    return this.#db.statement<{ n: number }>('SELECT count(*) AS n FROM audit').get()!.n;
  }

  /**
   * Recomputes the whole chain. Reports the first entry that does not verify: a changed field (its
   * hash), a deleted or inserted row (a gap in seq or a broken link to the previous hash), rows
   * swapped (seq is hashed), or a trail cut short (the head records a later entry).
   */
  verify(): AuditVerification {
    let expectedSeq = 1;
    let prevHash = GENESIS_HASH;
    for (const row of this.#db.statement<AuditRow>('SELECT * FROM audit ORDER BY seq ASC').iterate()) {
      if (row.seq !== expectedSeq) {
        return { ok: false, seq: expectedSeq, reason: row.seq > expectedSeq ? `entry ${expectedSeq} is missing` : `entry ${row.seq} is out of sequence` };
      }
      if (row.prev_hash !== prevHash) return { ok: false, seq: row.seq, reason: 'its link to the previous entry is broken' };
      let entry: AuditEntry;
      try {
        entry = fromRow(row);
      } catch {
        return { ok: false, seq: row.seq, reason: 'its details are not JSON' };
      }
      if (!(AUDIT_ACTIONS as readonly string[]).includes(entry.action)) return { ok: false, seq: row.seq, reason: `unknown action "${entry.action}"` };
      if (entryHash(prevHash, entry) !== row.hash) return { ok: false, seq: row.seq, reason: 'its contents do not match its hash' };
      prevHash = row.hash;
      expectedSeq++;
    }
    const entries = expectedSeq - 1;
    const head = this.#db.statement<{ seq: number; hash: string }>('SELECT seq, hash FROM audit_head WHERE id = 1').get();
    if ((head?.seq ?? 0) !== entries || (head?.hash ?? GENESIS_HASH) !== prevHash) {
      return { ok: false, seq: entries + 1, reason: `the trail ends at entry ${entries} but its head records entry ${head?.seq ?? 0}` };
    }
    return { ok: true, entries, head: prevHash };
  }

  /**
   * `verify()`, throwing when the trail does not verify.
   *
   * @throws LnError `LN_ERR_VERSION_AUDIT_TAMPERED` naming the first entry that does not verify
   */
  assertIntact(): { entries: number; head: string } {
    const v = this.verify();
    if (!v.ok) throw new LnError('LN_ERR_VERSION_AUDIT_TAMPERED', { seq: v.seq, reason: v.reason });
    return { entries: v.entries, head: v.head };
  }
}
