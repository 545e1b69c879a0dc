/**
 * Component bytes shared by the cluster: a JetStream object store, one object per digest (the
 * object's name is the `sha256:<hex>` digest). A deploy puts the artifact before its desired
 * state names it; every other host fetches it by digest and checks the bytes against the
 * digest before they reach its own artifact store: an object whose bytes hash to something
 * else is refused (`LN_ERR_LOAD_INVALID`), whoever wrote it.
 */
import { LnError } from '../errors/ln-error.js';
import { digestOf, hexOf } from '../versions/artifact-store.js';
import type { ClusterConnection } from './cluster-connection.js';

/** The object store of a cluster's artifacts. */
export class ClusterArtifacts {
  readonly #conn: ClusterConnection;
  readonly #maxBytes: number;

  /** @param maxBytes - the largest artifact fetched (the engine's component size limit) */
  constructor(conn: ClusterConnection, maxBytes: number) {
    this.#conn = conn;
    this.#maxBytes = maxBytes;
  }

  /**
   * Stores `bytes()` under `digest` unless an object of that name is there already.
   *
   * @throws LnError `LN_ERR_VERSION_CLUSTER_UNAVAILABLE`; `LN_ERR_LOAD_INVALID` when the bytes do not hash to `digest`
   */
  async ensure(digest: string, bytes: () => Promise<Uint8Array>): Promise<void> {
    hexOf(digest);
    const { artifacts } = this.#conn.handles('publish an artifact');
    const info = await artifacts.info(digest);
    if (info && !info.deleted) return;
    const data = await bytes();
    if (digestOf(data) !== digest) throw mismatch(digest, digestOf(data), 'the local artifact store');
    await artifacts.putBlob({ name: digest, description: 'liquid-nano component' }, data);
  }

  /**
   * The bytes of `digest`, checked against it.
   *
   * @throws LnError `LN_ERR_LOAD_NOT_FOUND` when the cluster has no such object, `LN_ERR_LOAD_TOO_LARGE`,
   *   `LN_ERR_LOAD_INVALID` when its bytes hash to another digest, `LN_ERR_VERSION_CLUSTER_UNAVAILABLE`
   */
  async fetch(digest: string): Promise<Uint8Array> {
    hexOf(digest);
    const { artifacts } = this.#conn.handles('fetch an artifact');
    const info = await artifacts.info(digest);
    if (!info || info.deleted)
      throw new LnError('LN_ERR_LOAD_NOT_FOUND', { path: digest, reason: "the cluster's object store has no artifact with this digest" });
    if (info.size > this.#maxBytes) throw new LnError('LN_ERR_LOAD_TOO_LARGE', { subject: digest, size: info.size, limit: this.#maxBytes });
    const bytes = await artifacts.getBlob(digest);
    if (!bytes) throw new LnError('LN_ERR_LOAD_NOT_FOUND', { path: digest, reason: "the cluster's object store has no artifact with this digest" });
    const actual = digestOf(bytes);
    if (actual !== digest) throw mismatch(digest, actual, "the cluster's object store");
    return bytes;
  }
}

function mismatch(digest: string, actual: string, where: string): LnError {
  return new LnError('LN_ERR_LOAD_INVALID', { subject: digest, reason: `the artifact in ${where} is not what its name says: its bytes hash to ${actual}` });
}
