/**
 * The static link check: before anything of a component runs, every import must be an interface
 * this host provides (at a version it provides) and that the operator policy does not deny.
 * Closed-by-default capabilities (filesystem, sockets, outgoing HTTP, kv) link without a grant:
 * the guest then sees their deny behaviour (see `CAPABILITIES`), never a host failure.
 */

import type { ComponentShape } from '../engine/component-types/wit-types.js';
import { LnError } from '../errors/ln-error.js';
import { capabilityOf, unsupportedVersion } from './catalog.js';
import type { OperatorPolicy } from './policy.js';

/** One import the host will not link. */
export interface LinkProblem {
  readonly import: string;
  /** The capability it belongs to, or null when the host does not know the interface. */
  readonly capability: string | null;
  readonly reason: string;
}

/** Every import of `shape` that cannot be linked, with why. */
export function linkProblems(shape: ComponentShape, policy: OperatorPolicy): LinkProblem[] {
  const problems: LinkProblem[] = [];
  for (const item of shape.imports) {
    if (item.kind === 'type') continue; // a type the exports use, not something to provide
    const entry = capabilityOf(item.name);
    if (!entry) {
      problems.push({ import: item.name, capability: null, reason: 'not provided by this host' });
      continue;
    }
    const version = unsupportedVersion(item.name);
    if (version) {
      problems.push({ import: item.name, capability: entry.capability, reason: version });
    } else if (policy.deny.includes(entry.capability)) {
      problems.push({ import: item.name, capability: entry.capability, reason: `denied by policy.deny in ${policy.source}` });
    }
  }
  return problems;
}

/**
 * Refuses a component the host cannot link.
 *
 * @param subject - the component's name, for the error
 * @throws LnError `LN_ERR_LINK_IMPORT_MISSING` (unknown interfaces or versions) listing each import,
 *   or `LN_ERR_CAP_DENIED` (capabilities the policy denies) listing each import
 */
export function checkLink(shape: ComponentShape, policy: OperatorPolicy, subject: string): void {
  const problems = linkProblems(shape, policy);
  const missing = problems.filter((p) => p.capability === null || !p.reason.startsWith('denied'));
  if (missing.length > 0) {
    throw new LnError('LN_ERR_LINK_IMPORT_MISSING', {
      subject,
      imports: missing.map((p) => `${p.import} (${p.reason})`).join(', '),
    });
  }
  if (problems.length > 0) {
    const capabilities = [...new Set(problems.map((p) => p.capability))].join(', ');
    throw new LnError('LN_ERR_CAP_DENIED', {
      subject,
      imports: problems.map((p) => p.import).join(', '),
      capability: capabilities,
      reason: problems[0]!.reason,
      policy: `policy.deny in ${policy.source}`,
    });
  }
}
