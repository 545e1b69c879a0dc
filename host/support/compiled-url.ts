/**
 * The URL of a compiled host module, for code that must run as JavaScript (worker entries, and
 * modules a worker imports by URL).
 *
 * From dist/ it is the sibling `.js` file. When the host runs from its TypeScript sources (the
 * test runner), workers still run the compiled copy in dist/, which `npm install` and the test
 * setup build.
 *
 * @param relativeJs - the module's path relative to the calling file, with a `.js` extension
 * @param callerUrl - the caller's `import.meta.url`
 */
export function compiledModuleUrl(relativeJs: string, callerUrl: string): URL {
  if (!callerUrl.endsWith('.ts')) return new URL(relativeJs, callerUrl);
  const hostIndex = callerUrl.lastIndexOf('/host/');
  const root = callerUrl.slice(0, hostIndex + 1);
  const callerInDist = `${root}dist/${callerUrl.slice(hostIndex + 1)}`;
  return new URL(relativeJs, callerInDist);
}
