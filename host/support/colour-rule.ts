/**
 * The one rule for whether output may carry ANSI colour, shared by the CLI's palette
 * (`cli/colour.ts`) and serve's pretty log lines (`log/log-format.ts`):
 * 1. `FORCE_COLOR` set (any value but `0` or `false`; Node's and supports-color's rule, which
 *    also puts it above `NO_COLOR`): colour, else
 * 2. `NO_COLOR` set to anything non-empty (https://no-color.org): none, else
 * 3. colour when the destination is a terminal and `TERM` is not `dumb`.
 */
export function colourAllowed(isTerminal: boolean, env: NodeJS.ProcessEnv): boolean {
  const force = env.FORCE_COLOR;
  if (force !== undefined) return force !== '0' && force.toLowerCase() !== 'false';
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  return isTerminal && env.TERM !== 'dumb';
}
