import { type CallableExport, callableExports, findExport } from '../engine/component.js';
import type { ComponentShape, WitType } from '../engine/component-types/wit-types.js';
import { invocationArgsToJs, jsToJson, jsToWave, parseInvocation } from '../engine/wave/wave.js';
import { LnError } from '../errors/ln-error.js';
import type { CallOutcome } from '../sandbox/instance.js';
import { exportedResources, findResourceFunction } from './resource-exports.js';

/** A parsed `--invoke` expression, ready to call. */
export interface PreparedInvocation {
  readonly target: CallableExport;
  readonly args: unknown[];
}

/**
 * Parses `--invoke 'name(arg, ...)'` against the component's exports: finds the export and
 * converts each WAVE argument through its parameter's WIT type.
 *
 * @throws LnError `LN_ERR_CONFIG_INVOKE` (syntax, arity, types), `LN_ERR_CONFIG_INVOKE_RESOURCE` (a
 *   resource's constructor or method), `LN_ERR_LINK_EXPORT_MISSING`
 */
export function prepareInvocation(shape: ComponentShape, expr: string): PreparedInvocation {
  const { name } = parseInvocation(expr); // also checks the syntax before the export is looked up
  const target = findExport(shape, name);
  if (!target) {
    const method = findResourceFunction(shape, name);
    if (method) {
      const what =
        method.fn.kind === 'constructor'
          ? 'the constructor'
          : method.fn.kind === 'method'
            ? `the method "${method.fn.name}"`
            : `the static function "${method.fn.name}"`;
      throw new LnError('LN_ERR_CONFIG_INVOKE_RESOURCE', { name, what, resource: `${method.resource.interface}#${method.resource.name}` });
    }
    const resources = exportedResources(shape).map((r) => `${r.interface}#${r.name}`);
    const functions =
      callableExports(shape)
        .map((e) => e.name)
        .join(', ') || '(no functions)';
    const available = resources.length === 0 ? functions : `${functions}; resources (not callable with --invoke): ${resources.join(', ')}`;
    throw new LnError('LN_ERR_LINK_EXPORT_MISSING', { name, available });
  }
  const values = invocationArgsToJs(expr, target.func.params);
  return { target, args: values };
}

/** The call's value in the form the WAVE/JSON formatters take for the export's result type. */
function resultValue(outcome: CallOutcome, type: WitType): unknown {
  if (type.kind === 'result') {
    return outcome.errResult ? { tag: 'err', val: outcome.value } : { tag: 'ok', val: outcome.value };
  }
  return outcome.value;
}

/** Formats a call's result as WAVE text (or JSON text); undefined for a function without result. */
export function formatOutcome(outcome: CallOutcome, target: CallableExport, json: boolean): string | undefined {
  const type = target.func.result;
  if (!type) return json ? 'null' : undefined;
  const value = resultValue(outcome, type);
  return json ? JSON.stringify(jsToJson(value, type)) : jsToWave(value, type);
}
