/** What the host is told when the outgoing handler refuses a request (a `notify` from the worker). */

/** The `notify` topic of a refused request; the payload is an `HttpDenial`. */
export const HTTP_DENIED_TOPIC = 'http-denied';

/** What the host is told about a refused request (guest-chosen text, bounded). */
export interface HttpDenial {
  /**
   * `no-grant`: no HTTP grant; `budget`: over `maxRequestsPerCall`; `not-allowed`: scheme or
   * authority not allowed; `private-address`: a granted name resolved to an address it may not reach.
   */
  readonly reason: 'no-grant' | 'budget' | 'not-allowed' | 'private-address';
  /** The request's scheme (`http`, `https`, or the guest's own), at most 64 characters. */
  readonly scheme: string;
  /** The request's authority as the guest set it, at most 300 characters; '' when none. */
  readonly authority: string;
  /** `private-address` only: the refused address and its range (`loopback`, `metadata`, ...). */
  readonly address?: string;
  readonly range?: string;
}
