/**
 * The one registry of Liquid Nano error codes.
 *
 * Every error the host reports carries a stable `LN_ERR_<AREA>_<PROBLEM>` code from this table.
 * Code branches on `code`, never on message text or `instanceof` (errors cross `postMessage`).
 * `docs/errors.md` lists exactly these codes; `test/unit/errors/codes.test.ts` checks that.
 *
 * Fields:
 * - `message`: a template; `{name}` is replaced by `details.name`.
 * - `fix`: one line telling the user what to do about it.
 * - `status`: the HTTP status the admin API and ingress answer with.
 * - `expose`: whether the message is shown to HTTP clients (otherwise they see only the code).
 * - `exit`: the `lnano` exit code (1 run-time failure, 2 usage/config/manifest/input error).
 * - `extra`: the structured details the code may carry besides its placeholders (for programs
 *   and logs; they are not in the text). `new LnError(code, details)` takes exactly the
 *   placeholders of `message` and `fix` plus these, checked when compiled.
 *
 * A failed guest call also carries its usage receipt in its details, whatever its code
 * (`usageDetails` in host/sandbox/usage.ts: durationMs, fuelUsed, memoryBytes, hostCalls,
 * bytesIn, bytesOut, outputDropped).
 */
export interface ErrorSpec {
  readonly message: string;
  readonly fix: string;
  readonly status: number;
  readonly expose: boolean;
  readonly exit: 1 | 2;
  readonly extra?: readonly string[];
}

export const ERROR_CODES = {
  LN_ERR_CONFIG_USAGE: {
    message: '{reason}',
    fix: 'Run `lnano help {command}` for the accepted arguments.',
    status: 400,
    expose: true,
    exit: 2,
  },
  LN_ERR_CONFIG_INVALID: {
    message: 'Invalid configuration value for "{key}" (from {source}): {reason}',
    fix: 'Correct the value; units are written like 64MiB or 500ms.',
    status: 400,
    expose: true,
    exit: 2,
  },
  LN_ERR_CONFIG_INVOKE: {
    message: 'Cannot call "{expr}": {reason}',
    fix: "Write the call as --invoke 'name(arg, ...)' with WAVE-encoded arguments that match the export's WIT types (see `lnano inspect`).",
    status: 400,
    expose: true,
    exit: 2,
  },
  LN_ERR_CONFIG_INVOKE_RESOURCE: {
    message: 'Cannot call "{name}": it is {what} of the resource "{resource}", and --invoke calls exported functions only',
    fix: 'Call one of the exported functions (`lnano inspect` lists them, and each resource with its methods); to use a resource from the command line, export a function that creates and drives it.',
    status: 400,
    expose: true,
    exit: 2,
  },
  LN_ERR_CONFIG_PORT_IN_USE: {
    message: 'Cannot listen on {address} ({key}): another process is using that address',
    fix: 'Stop the process that holds it, or choose another address: --{flag} <host:port> (port 0 picks a free one), or {key} in the config file.',
    status: 400,
    expose: true,
    exit: 2,
  },
  LN_ERR_CONFIG_PROJECT_INVALID: {
    message: 'Not a Liquid Nano project: {dir}: {reason}',
    fix: 'Build a folder made by `lnano new` (its lnano.json says {"language": "c"} or another language), or pass its path: `lnano build <dir>`.',
    status: 400,
    expose: true,
    exit: 2,
  },
  LN_ERR_CONFIG_DIR_NOT_EMPTY: {
    message: 'Cannot create a project in "{dir}": {reason}',
    fix: 'Choose a new or empty folder (--dir <folder>); `lnano new` never overwrites files.',
    status: 400,
    expose: true,
    exit: 2,
  },
  LN_ERR_CONFIG_TOOLCHAIN_MISSING: {
    message: 'Cannot build {language}: {reason}',
    fix: 'Install the Debian packages: apt-get install {packages} (in a checkout, .ci/install-toolchains.sh installs every toolchain).',
    status: 400,
    expose: true,
    exit: 2,
  },
  LN_ERR_CONFIG_BUILD_FAILED: {
    message: 'Building {dir} ({language}) failed at step "{step}": {reason}',
    fix: 'Fix the error printed above and run `lnano build` again; --verbose prints every command.',
    status: 400,
    expose: true,
    exit: 2,
  },
  LN_ERR_CONFIG_PIPELINE_INVALID: {
    message: 'Invalid pipeline {file}: {reason}',
    fix: 'Fix the pipeline at the key named; docs/pipelines.md describes the format and docs/pipeline.schema.json lists every key.',
    status: 400,
    expose: true,
    exit: 2,
  },
  LN_ERR_CONFIG_HOST_STATE: {
    message: 'Cannot {action} the host: {reason}',
    fix: 'Create a host with createHost(config), await start() once, and close() it when done; a closed host does not start again (create another one on the same data dir: it restores what the first served).',
    status: 409,
    expose: true,
    exit: 1,
  },
  LN_ERR_MANIFEST_INVALID: {
    message: 'Invalid manifest {file}: {reason}',
    fix: 'Fix the manifest; the JSON Schema in docs/manifest.schema.json lists every key.',
    status: 400,
    expose: true,
    exit: 2,
  },
  LN_ERR_LOAD_NOT_FOUND: {
    message: 'Cannot read component "{path}": {reason}',
    fix: 'Check the path; build the component first if it does not exist yet.',
    status: 404,
    expose: true,
    exit: 2,
  },
  LN_ERR_LOAD_EMPTY: {
    message: 'The component "{subject}" is empty (0 bytes)',
    fix: 'Pass a WebAssembly component file (.wasm), e.g. one built by `lnano build`.',
    status: 400,
    expose: true,
    exit: 2,
  },
  LN_ERR_LOAD_TOO_LARGE: {
    message: 'The component "{subject}" is {size} bytes, over the limit of {limit} bytes',
    fix: 'Shrink the component, or raise limits.componentBytes in the host config.',
    status: 413,
    expose: true,
    exit: 2,
  },
  LN_ERR_LOAD_NOT_WASM: {
    message: '"{subject}" is not WebAssembly: {reason}',
    fix: 'Pass a WebAssembly component file (.wasm); WAT text must be compiled first (e.g. `jco parse`).',
    status: 400,
    expose: true,
    exit: 2,
  },
  LN_ERR_LOAD_NOT_COMPONENT: {
    message: '"{subject}" is a core WebAssembly module, not a component',
    fix: 'Wrap it into a component: `jco new module.wasm --wasi-reactor -o component.wasm` (or --wasi-command).',
    status: 400,
    expose: true,
    exit: 2,
  },
  LN_ERR_LOAD_UNSUPPORTED_VERSION: {
    message: '"{subject}" uses component binary version {version} (layer {layer}); this host reads version 0x0d layer 1',
    fix: 'Rebuild the component with a toolchain that targets the Component Model of WASI 0.2.',
    status: 400,
    expose: true,
    exit: 2,
  },
  LN_ERR_LOAD_INVALID: {
    message: '"{subject}" is not a valid component: {reason}',
    fix: 'Rebuild the component; `wasm-tools validate` shows where the binary is broken.',
    status: 400,
    expose: true,
    exit: 2,
  },
  LN_ERR_LOAD_UNSUPPORTED_FEATURE: {
    message: '"{subject}" uses {feature}, which fuel and memory metering do not support',
    fix: 'Run the component without limits.fuel, or rebuild it without that WebAssembly feature.',
    status: 422,
    expose: true,
    exit: 2,
  },
  LN_ERR_LOAD_ASYNC_UNSUPPORTED: {
    message: '"{subject}" uses component-model async (WASI 0.3): {uses}; this host runs synchronous WASI 0.2 components only',
    fix: 'Build the component for WASI 0.2 without async exports, imports or built-ins (no `async func`, stream or future in its WIT); `lnano inspect` lists what it uses.',
    status: 422,
    expose: true,
    exit: 2,
  },
  LN_ERR_LOAD_TOO_COMPLEX: {
    message: '"{subject}" is too complex to load (limit: {limit}): {reason}',
    fix: 'Split the component into smaller ones; the decode limits (items, time, memory) are in docs/limits.md.',
    status: 422,
    expose: true,
    exit: 2,
  },
  LN_ERR_LINK_IMPORT_MISSING: {
    message: 'The component imports {imports}, which this host does not provide',
    fix: 'Build the component against the interfaces in wit/ and WASI 0.2, or drop the import.',
    status: 422,
    expose: true,
    exit: 1,
    extra: ['subject'],
  },
  LN_ERR_LINK_EXPORT_MISSING: {
    message: 'The component has no export "{name}"; it exports: {available}',
    fix: 'Call one of the listed exports (see `lnano inspect`).',
    status: 404,
    expose: true,
    exit: 2,
  },
  LN_ERR_CAP_DENIED: {
    message: 'The component imports {imports} ({capability}), which this host denies: {reason}',
    fix: 'Build the component without these imports, or ask the operator to allow {capability} ({policy}).',
    status: 403,
    expose: true,
    exit: 1,
    extra: ['subject'],
  },
  LN_ERR_CAP_POLICY: {
    message: 'The grant of {capability} "{request}" is beyond the operator policy {policy}',
    fix: 'Grant less, or ask the operator to widen {policy}.',
    status: 403,
    expose: true,
    exit: 2,
  },
  LN_ERR_CAP_KV_NAMESPACE_OWNED: {
    message:
      'The kv namespace "{namespace}" belongs to the component "{owner}"; "{component}" may not use it (policy.kv.shared in {policy} does not share it with "{component}")',
    fix: 'Give "{component}" a namespace of its own (capabilities.kv.namespace, --kv), or ask the operator to share it: "policy": {"kv": {"shared": {"{namespace}": ["{component}"]}}}.',
    status: 403,
    expose: true,
    exit: 2,
  },
  LN_ERR_CAP_KV_DATABASE: {
    message: 'The kv database at {path} cannot be used to check who owns the namespace "{namespace}": {reason}',
    fix: 'Check the data dir (disk space, permissions; a newer Liquid Nano may have written it); restore it from a backup if it is damaged.',
    status: 500,
    expose: false,
    exit: 1,
  },
  LN_ERR_BUDGET_TIME: {
    message: 'The call to "{call}" ran past its deadline of {timeoutMs} ms and was stopped',
    fix: 'Raise limits.timeout (--timeout) if the work is legitimate, or fix the loop in the guest.',
    status: 504,
    expose: true,
    exit: 1,
  },
  LN_ERR_BUDGET_MEMORY: {
    message: 'The guest ran out of its memory budget of {limitBytes} bytes',
    fix: 'Raise limits.memory (--memory) or make the guest allocate less.',
    status: 507,
    expose: true,
    exit: 1,
    extra: ['call', 'subject', 'reason', 'limitTableElements'],
  },
  LN_ERR_BUDGET_FUEL: {
    message: 'The call to "{call}" used up its fuel budget of {fuel} instructions',
    fix: 'Raise limits.fuel (--fuel) or make the guest do less work per call.',
    status: 429,
    expose: true,
    exit: 1,
  },
  LN_ERR_BUDGET_CONCURRENCY: {
    message: 'The component "{component}" is at its limit of {concurrency} calls in flight and {queue} queued',
    fix: 'Retry later (HTTP 429), or raise limits.concurrency / limits.queue.',
    status: 429,
    expose: true,
    exit: 1,
  },
  LN_ERR_BUDGET_PAYLOAD: {
    message: 'The {direction} of "{call}" is {size} bytes, over the limit of {limit} bytes',
    fix: 'Send less data per call, or raise limits.maxPayload.',
    status: 413,
    expose: true,
    exit: 1,
  },
  LN_ERR_BUDGET_TOKENS: {
    message: '"{component}" asked for more language-model tokens than its grant allows: {reason}',
    fix: 'Ask for fewer tokens (max-tokens, a shorter prompt), wait for the window to pass, or raise capabilities.llm.maxTokensPerCall, tokensPerMinute or tokensPerDay.',
    status: 429,
    expose: true,
    exit: 1,
  },
  LN_ERR_BUDGET_PIPELINE_QUEUE: {
    message: 'The pipeline scheduler holds {runs} runs, its limit; "{name}" was not started',
    fix: 'Retry later (HTTP 429), or raise PIPELINE_DEFAULTS.maxActiveRuns.',
    status: 429,
    expose: true,
    exit: 1,
  },
  LN_ERR_GUEST_TRAP: {
    message: 'The guest trapped in "{call}": {reason}',
    fix: 'This is a bug in the component; the instance was discarded and a fresh one serves the next call.',
    status: 500,
    expose: true,
    exit: 1,
  },
  LN_ERR_GUEST_EXIT: {
    message: 'The guest called exit with status {exitCode} during "{call}"',
    fix: 'A plugin must return instead of exiting; the instance was discarded and a fresh one serves the next call.',
    status: 500,
    expose: true,
    exit: 1,
  },
  LN_ERR_GUEST_ERROR: {
    message: '"{call}" returned an error: {value}',
    fix: 'The guest reported a failure through its WIT result type; see the value for why.',
    status: 422,
    expose: true,
    exit: 1,
  },
  LN_ERR_GUEST_CRASH: {
    message: 'The instance running "{call}" died: {reason}',
    fix: 'The instance was discarded and a fresh one serves the next call; the log has the cause.',
    status: 500,
    expose: true,
    exit: 1,
  },
  LN_ERR_GUEST_INIT: {
    message: 'The component could not be instantiated: {reason}',
    fix: 'Check the component start-up code and its imports; the log has the cause.',
    status: 500,
    expose: true,
    exit: 1,
  },
  LN_ERR_VERSION_CONFLICT: {
    message: '{name}@{version} is already bound to {existing}; versions are immutable',
    fix: 'Publish the new bytes under a new version number.',
    status: 409,
    expose: true,
    exit: 2,
  },
  LN_ERR_VERSION_NOT_FOUND: {
    message: 'No version {version} of "{name}" is known here',
    fix: 'See `lnano history {name}` for the retained versions.',
    status: 404,
    expose: true,
    exit: 2,
  },
  LN_ERR_VERSION_DEPLOY_FAILED: {
    message: 'Deploying {name}@{version} failed at step "{step}": {reason}',
    fix: 'The active version is untouched; fix the cause and deploy again.',
    status: 422,
    expose: true,
    exit: 1,
    extra: ['causeCode'],
  },
  LN_ERR_VERSION_APPROVAL_REQUIRED: {
    message: '{name}@{version} asks for capabilities the active version does not have: {added}',
    fix: 'Review them and deploy again with --approve-capabilities (API: "approveCapabilities": true).',
    status: 403,
    expose: true,
    exit: 2,
  },
  LN_ERR_VERSION_STATE: {
    message: 'Cannot {action} {name}: {reason}',
    fix: 'See `lnano status {name}` for what is active and what is in progress.',
    status: 409,
    expose: true,
    exit: 2,
  },
  LN_ERR_VERSION_REGISTRY: {
    message: 'The registry at {path} cannot be used: {reason}',
    fix: 'Check the data dir (a newer Liquid Nano may have written it); restore it from a backup if it is damaged.',
    status: 500,
    expose: false,
    exit: 1,
  },
  LN_ERR_VERSION_AUDIT_TAMPERED: {
    message: 'The audit trail does not verify at entry {seq}: {reason}',
    fix: 'Restore the data dir from a backup; the trail after entry {seq} cannot be trusted.',
    status: 500,
    expose: true,
    exit: 1,
  },
  LN_ERR_ADMIN_UNAUTHORIZED: {
    message: 'Missing or wrong admin token',
    fix: 'Send Authorization: Bearer <token> (the token is in the data dir, file admin-token, or LNANO_ADMIN_TOKEN).',
    status: 401,
    expose: true,
    exit: 1,
  },
  LN_ERR_ADMIN_TOKEN_MISSING: {
    message: 'No admin token for the host at {server}: looked for {searched}',
    fix: 'Pass --token <token> (or set LNANO_ADMIN_TOKEN), or point --data-dir (or LNANO_DATA_DIR) at the data dir of the host, whose file admin-token holds it.',
    status: 401,
    expose: true,
    exit: 2,
  },
  LN_ERR_ADMIN_TOKEN_REJECTED: {
    message: 'The host at {server} refused the admin token from {source}',
    fix: 'Use the token of that host: --token <token> or LNANO_ADMIN_TOKEN, or --data-dir <its data dir> (the file admin-token in it); `lnano serve` prints where its token is.',
    status: 401,
    expose: true,
    exit: 1,
  },
  LN_ERR_ADMIN_CONNECTION_LOST: {
    message: 'The host at {server} went away during {request}: {reason}',
    fix: 'Check whether the host is still running (its log says why it stopped); once it is back, `lnano ls` shows what it serves: an interrupted deploy leaves the previous version active.',
    status: 502,
    expose: true,
    exit: 1,
  },
  LN_ERR_ADMIN_BAD_REQUEST: {
    message: 'Bad admin request: {reason}',
    fix: 'See docs/admin-api.md for the request format.',
    status: 400,
    expose: true,
    exit: 2,
  },
  LN_ERR_ADMIN_METHOD_NOT_ALLOWED: {
    message: '{method} is not allowed on {path} (allowed: {allowed})',
    fix: "Use one of the methods the answer's Allow header lists; see docs/admin-api.md.",
    status: 405,
    expose: true,
    exit: 2,
  },
  LN_ERR_ADMIN_TOO_LARGE: {
    message: 'The request body is over the limit of {limit} bytes',
    fix: 'Send a smaller body, or raise the admin upload limit in the host config.',
    status: 413,
    expose: true,
    exit: 2,
  },
  LN_ERR_ADMIN_TOO_DEEP: {
    message: 'The request body is nested deeper than {limit} levels (objects and arrays)',
    fix: 'Send flatter JSON: every JSON body the host accepts nests at most {limit} levels.',
    status: 400,
    expose: true,
    exit: 2,
  },
  LN_ERR_ADMIN_CROSS_SITE: {
    message: 'Refused a cross-site request to the admin API: {reason}',
    fix: 'Use the console this listener serves, lnano or curl; on a loopback listener address it as localhost, 127.0.0.1 or [::1].',
    status: 403,
    expose: true,
    exit: 2,
  },
  LN_ERR_ADMIN_NOT_FOUND: {
    message: 'No admin route {method} {path}',
    fix: 'See docs/admin-api.md for the routes.',
    status: 404,
    expose: true,
    exit: 2,
  },
  LN_ERR_ADMIN_UNREACHABLE: {
    message: 'Cannot reach the host at {server}: {reason}',
    fix: 'Start it with `lnano serve`, or point --server / LNANO_SERVER at it.',
    status: 503,
    expose: true,
    exit: 1,
  },
  LN_ERR_EVENT_INVALID: {
    message: 'Invalid event: {reason}',
    fix: 'Send a CloudEvents-style JSON object with string "id", "type" and "source" (and optional "time", "datacontenttype", "data" or "data_base64").',
    status: 400,
    expose: true,
    exit: 2,
  },
  LN_ERR_EVENT_TOO_LARGE: {
    message: 'The request body is over the limit of {limit} bytes',
    fix: 'Send smaller events, or raise the ingress body limit.',
    status: 413,
    expose: true,
    exit: 2,
  },
  LN_ERR_EVENT_TOO_DEEP: {
    message: 'The event is nested deeper than {limit} levels (objects and arrays)',
    fix: 'Send flatter event data: every JSON body the host accepts nests at most {limit} levels.',
    status: 400,
    expose: true,
    exit: 2,
  },
  LN_ERR_EVENT_UNSUPPORTED_MEDIA_TYPE: {
    message: 'POST /events does not take the media type {type}',
    fix: 'Send application/json, application/cloudevents+json or application/cloudevents-batch+json, or a CloudEvents binary-mode request (ce-specversion, ce-id, ce-type and ce-source headers).',
    status: 415,
    expose: true,
    exit: 2,
  },
  LN_ERR_EVENT_CROSS_SITE: {
    message: 'Refused a cross-site request to the event ingress: {reason}',
    fix: "Web pages of other sites may not send events: add the page's origin to ingress.allowedOrigins if it should; on a loopback listener address it as localhost, 127.0.0.1 or [::1].",
    status: 403,
    expose: true,
    exit: 2,
  },
  LN_ERR_EVENT_NOT_FOUND: {
    message: 'No route for {method} {path}',
    fix: 'Send events with POST /events; GET /health tells whether the host is up.',
    status: 404,
    expose: true,
    exit: 2,
  },
  LN_ERR_EVENT_METHOD_NOT_ALLOWED: {
    message: '{method} is not allowed on {path} (allowed: {allowed})',
    fix: 'Send events with POST /events; GET /health tells whether the host is up.',
    status: 405,
    expose: true,
    exit: 2,
  },
  LN_ERR_EVENT_DEPTH_LIMIT: {
    message: 'Follow-up events of "{eventId}" from {plugin} were not routed: depth {depth} is the limit ({reason})',
    fix: 'A plugin answers its own events (a loop): narrow its manifest "events" patterns, or raise the runtime\'s maxDepth.',
    status: 508,
    expose: true,
    exit: 1,
  },
  LN_ERR_EVENT_FANOUT_LIMIT: {
    message: '{count} follow-up event(s) of {plugin} were not routed: the ingress event "{eventId}" reached its limit of {limit} follow-ups',
    fix: "Emit fewer events per ingress event, or raise the runtime's maxFanOut.",
    status: 429,
    expose: true,
    exit: 1,
  },
  LN_ERR_EVENT_OVERLOADED: {
    message: 'The event runtime is at its limit of {limit} {scope} calls in flight',
    fix: "Retry later (HTTP 429), or raise the runtime's maxConcurrentCalls / maxConcurrentCallsPerPlugin.",
    status: 429,
    expose: true,
    exit: 1,
  },
  LN_ERR_EVENT_DUPLICATE_PLUGIN: {
    message: 'A plugin named "{name}" is registered already ({where})',
    fix: 'Give every plugin a unique name, or unregister the other one first.',
    status: 409,
    expose: true,
    exit: 2,
  },
  LN_ERR_EVENT_HOOK_INVALID: {
    message: 'Cannot register the runtime hook "{hook}": {reason}',
    fix: 'Register a function under one of: beforeEvent, afterEvent, beforeCall, afterCall.',
    status: 400,
    expose: true,
    exit: 2,
  },
  LN_ERR_EVENT_VETOED: {
    message: 'The {hook} hook refused {subject}: {reason}',
    fix: "The embedder's hook decided this; see its reason.",
    status: 403,
    expose: true,
    exit: 1,
  },
  LN_ERR_EVENT_PIPELINE_NOT_FOUND: {
    message: 'No pipeline "{name}" is loaded',
    fix: 'See `lnano pipeline ls` for the pipelines and whether their files are valid.',
    status: 404,
    expose: true,
    exit: 2,
  },
  LN_ERR_EVENT_RUN_NOT_FOUND: {
    message: 'No run {runId} of pipeline "{name}" is known (the history keeps the most recent runs)',
    fix: 'See `lnano pipeline status {name}` for the recent runs.',
    status: 404,
    expose: true,
    exit: 2,
  },
  LN_ERR_EVENT_PIPELINE_FAILED: {
    message: 'Pipeline "{name}" run {runId} failed at step "{step}": {reason}',
    fix: 'See `lnano pipeline status {name} {runId}` for every step, its attempts and its error.',
    status: 422,
    expose: true,
    exit: 1,
  },
  LN_ERR_INTERNAL_UNEXPECTED: {
    message: 'Internal error: {reason}',
    fix: 'This is a bug in Liquid Nano; please report it with the log lines around it.',
    status: 500,
    expose: false,
    exit: 1,
  },
} as const satisfies Record<string, ErrorSpec>;

/** Every stable error code. */
export type ErrorCode = keyof typeof ERROR_CODES;

/** Whether a string is one of the registered codes. */
export function isErrorCode(code: unknown): code is ErrorCode {
  return typeof code === 'string' && Object.hasOwn(ERROR_CODES, code);
}
