/**
 * A lean, synchronous call path through jco's generated bindings.
 *
 * jco 1.35 runs the component model's task bookkeeping on every call, sync or not: each export
 * call builds an `AsyncTask` (~45 private fields, two promises, a BigInt id, a resource scope) and
 * runs its enter/resolve/exit chains; each host import call builds an `AsyncSubtask`, a waitable
 * table entry and a second `AsyncTask` for the host side. For a synchronous component none of it
 * changes what a call does: it was 37–40 % of a sandbox worker's busy time with the examples
 * (docs/sandbox.md). This host refuses component-model async (`LN_ERR_LOAD_ASYNC_UNSUPPORTED`), so
 * every component it runs is synchronous.
 *
 * `leanBindings` rewrites the per-call wrappers of jco's output (the code inside
 * `_initGenerator`; jco's runtime library above it is left as it is) and keeps, per call:
 * - the trap state: a call into an instance that trapped (a `WebAssembly.RuntimeError`, in the guest
 *   or raised by an import) throws `cannot enter component instance`, as jco's does;
 * - lowering and lifting (strings, lists, variants, resources, with their bounds and validity
 *   checks), post-return, and the may-leave flag (an import called during post-return traps);
 * - resource handles and borrows: the handle tables, borrow release after each import call, and
 *   dispose/finalization, all of which live outside the task machinery;
 * - reentrance: a synchronous export entered again while one of the same component instance runs
 *   (only a host import calling back into its guest could) traps with `cannot enter component
 *   instance` and poisons the instance. jco 1.35 let such a call run without the instance lock;
 *   the component model (and Wasmtime) traps;
 * - a host import that threw (a trap, the guest's `exit`, a host-call limit) fails the export call
 *   even if the guest caught the exception and returned: jco fails it when resolving the
 *   cancelled task; the lean path rethrows the import's error at the same point, before
 *   post-return.
 *
 * What goes: `AsyncTask`/`AsyncSubtask` objects, the waitable table entries, the current-task
 * metadata, the exclusive lock, and the `_debugLog` calls (dead code whose argument objects were
 * still built on every call: jco's debug switch is compiled out, see bindings-source.ts).
 *
 * The rewrite matches jco's templates exactly (the jco version is part of the transpile cache
 * key) and is all or nothing: any wrapper it does not recognise, any async or borrow-scope
 * machinery left in the component's code, leaves the bindings as jco made them
 * (`leanBindings` returns undefined). Names a component chooses appear in the generated code
 * only inside string literals, which the scanner below skips.
 */

/** The rewrite did not recognise jco's output. */
class ShapeError extends Error {}

/** The closing bracket of each opening one. */
const CLOSE: Readonly<Record<string, string>> = { '(': ')', '[': ']', '{': '}' };

/** Index just past the string or template literal that starts at `start`. */
function skipString(src: string, start: number): number {
  const quote = src[start]!;
  let i = start + 1;
  while (i < src.length) {
    const c = src[i]!;
    if (c === '\\') {
      i += 2;
      continue;
    }
    if (c === quote) return i + 1;
    if (quote !== '`' && c === '\n') throw new ShapeError('unterminated string literal');
    if (quote === '`' && c === '$' && src[i + 1] === '{') {
      i = matching(src, i + 1) + 1;
      continue;
    }
    i++;
  }
  throw new ShapeError('unterminated literal');
}

/** Index just past the comment that starts at `start`, or `start` when none does. */
function skipComment(src: string, start: number): number {
  if (src[start] !== '/') return start;
  if (src[start + 1] === '/') {
    const end = src.indexOf('\n', start);
    return end < 0 ? src.length : end;
  }
  if (src[start + 1] === '*') {
    const end = src.indexOf('*/', start + 2);
    if (end < 0) throw new ShapeError('unterminated comment');
    return end + 2;
  }
  return start;
}

/** Index just past the string, template literal or comment at `i`, or `i` when none starts there. */
function skipInert(src: string, i: number): number {
  const c = src[i];
  return c === '"' || c === "'" || c === '`' ? skipString(src, i) : skipComment(src, i);
}

/**
 * The index of the bracket closing the one at `open` (`(`, `[` or `{`), skipping string and
 * template literals and comments. jco's per-call code has no regular expression literals.
 *
 * @throws ShapeError on unbalanced brackets
 */
function matching(src: string, open: number): number {
  const first = CLOSE[src[open]!];
  if (!first) throw new ShapeError(`no bracket at ${open}`);
  const stack = [first];
  let i = open + 1;
  while (i < src.length) {
    const past = skipInert(src, i);
    if (past !== i) {
      i = past;
      continue;
    }
    const c = src[i]!;
    const close = CLOSE[c];
    if (close) stack.push(close);
    else if (c === ')' || c === ']' || c === '}') {
      if (stack.pop() !== c) throw new ShapeError(`unbalanced ${c} at ${i}`);
      if (stack.length === 0) return i;
    }
    i++;
  }
  throw new ShapeError('unbalanced brackets');
}

/**
 * The expression starting at `start` (an arrow function's body): its text and the index of the
 * `,` or closing bracket that ends it.
 */
function expressionAt(src: string, start: number): { text: string; end: number } {
  let i = start;
  while (i < src.length) {
    const past = skipInert(src, i);
    if (past !== i) {
      i = past;
      continue;
    }
    const c = src[i]!;
    if (CLOSE[c]) {
      i = matching(src, i) + 1;
      continue;
    }
    if (c === ',' || c === ')' || c === ']' || c === '}' || c === ';') {
      const text = src.slice(start, i).trim();
      if (text === '') throw new ShapeError('empty expression');
      return { text, end: i };
    }
    i++;
  }
  throw new ShapeError('unterminated expression');
}

/**
 * A task wrapper's `fn: () => CALL,` matched by `head` at `at`, then `tail`: the head's groups,
 * the call and the index past the tail.
 */
function wrappedCall(
  src: string,
  at: number,
  head: RegExp,
  tail: RegExp,
  what: string,
): { groups: Record<string, string | undefined>; call: string; end: number } {
  const m = expect(src, head, at, what);
  const call = expressionAt(src, at + m[0].length);
  let after = skipSpace(src, call.end);
  if (src[after] === ',') after = skipSpace(src, after + 1);
  const end = expect(src, tail, after, `${what} (end)`);
  return { groups: { ...m.groups, ...end.groups }, call: call.text, end: after + end[0].length };
}

/** `src` with the contents of string and template literals and comments blanked (same length). */
function codeOnly(src: string): string {
  let out = '';
  let i = 0;
  while (i < src.length) {
    const c = src[i]!;
    if (c === '"' || c === "'" || c === '`') {
      const end = skipString(src, i);
      out += c + ' '.repeat(end - i - 2) + c;
      i = end;
      continue;
    }
    const past = skipComment(src, i);
    if (past !== i) {
      out += ' '.repeat(past - i);
      i = past;
      continue;
    }
    out += c;
    i++;
  }
  return out;
}

/**
 * A regular expression from a template of jco's code: literal text (escaped), each run of
 * whitespace matching any whitespace, and the interpolated values inserted as regex source.
 */
function shape(strings: TemplateStringsArray, ...parts: string[]): RegExp {
  let source = '';
  strings.raw.forEach((raw, i) => {
    source += raw
      .trim()
      .split(/\s+/)
      .map((word) => word.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
      .join('\\s*');
    if (i < parts.length) source += `\\s*${parts[i]}\\s*`;
  });
  return new RegExp(source, 'y');
}

/** The component instance index in jco's code (`getOrCreateAsyncState(0)`). */
const IDX = String.raw`(?<idx>\d+)`;
const SAME_IDX = String.raw`\k<idx>`;
/** A quoted name (entry function names, error-handling modes). */
const QUOTED = String.raw`'[^'\\\n]*'`;

/** An export wrapper, from `const hostProvided = false;` to the `try {` its body starts with. */
const EXPORT_PROLOGUE = shape`const hostProvided = false;
  getOrCreateAsyncState(${IDX}).throwIfTrapped();
  const [task, _wasm_call_currentTaskID] = createNewCurrentTask({
    componentIdx: ${SAME_IDX},
    isAsync: false,
    isManualAsync: false,
    preserveFutureResult: false,
    entryFnName: ${QUOTED},
    getCallbackFn: () => null,
    callbackFnName: null,
    errHandling: ${QUOTED},
    callingWasmExport: true,
  });
  task.setCalleeIsAsync(false);
  const started = task.enterSync();
  CURRENT_TASK_MAY_BLOCK.value = task.mayBlock() ? 1 : 0;
  if (${String.raw`(?:\d+|null)`}!== null) {
    task.setReturnMemoryIdx(${String.raw`(?:\d+|null)`});
    task.setReturnMemory((() => ${String.raw`[\w$]+`})());
  }
  return _withGlobalCurrentTaskMeta({
    taskID: task.id(),
    componentIdx: task.componentIdx(),
    fn: () => {
      try`;

/** What follows an export body's block: the task cleanup on failure and the wrapper's end. */
const EXPORT_EPILOGUE = shape`catch (err) {
    if (!task.isResolvedState()) {
      task.setErrored(err);
      task.reject(err);
    }
    if (!task.isExited()) { task.exit({ skipExclusiveLockCheck: true }); }
    throw err;
  }
  },
  });`;

/** The guest call inside an export body, wrapped in the current-task metadata, up to the call. */
const EXPORT_CALL = shape`${String.raw`(?<assign>ret\s*=\s*)?`}_withGlobalCurrentTaskMeta({
    taskID: task.id(),
    componentIdx: task.componentIdx(),
    fn: () =>`;

/** What follows the guest call: the end of the wrapper and the task cleanup on failure. */
const EXPORT_CALL_END = shape`});
  } catch (err) {
    getOrCreateAsyncState(${IDX}).markTrapped(err);
    task.setErrored(err);
    task.reject(err);
    task.exit();
    throw err;
  }`;

/** An import trampoline's task setup, from `const hostProvided = true;` to `let ret;`. */
const IMPORT_PROLOGUE = shape`const hostProvided = true;
  let parentTask;
  let task;
  let subtask;
  const createTask = () => {
    const results = createNewCurrentTask({
      componentIdx: -1,
      isAsync: false,
      entryFnName: ${QUOTED},
      getCallbackFn: () => null,
      callbackFnName: null,
      errHandling: ${QUOTED},
      callingWasmExport: false,
    });
    task = results[0];
  };
  taskCreation: {
    parentTask = getCurrentTask(
      ${IDX},
      _getGlobalCurrentTaskMeta(${SAME_IDX})?.taskID,
    )?.task;
    if (!parentTask) {
      createTask();
      break taskCreation;
    }
    createTask();
    if (hostProvided) {
      subtask = parentTask.getLatestSubtask();
      if (!subtask) {
        throw new Error(${String.raw`\`Missing subtask [^\`\n]*\``});
      }
      task.setParentSubtask(subtask);
    }
  }
  const started = task.enterSync();
  let ret;`;

/** The host call of an import whose errors trap (`errHandling: 'none'`), up to the call. */
const IMPORT_CALL = shape`try {
    ${String.raw`(?<assign>ret\s*=\s*)?`}_withGlobalCurrentTaskMeta({
      componentIdx: task.componentIdx(),
      taskID: task.id(),
      fn: () =>`;

/** What follows the host call of an import whose errors trap. */
const IMPORT_CALL_END = shape`})
    ;
  } catch (err) {
    getOrCreateAsyncState(${IDX}).markTrapped(err);
    task.setErrored(err);
    task.reject(err);
    task.exit();
    throw err;
  }`;

/** The host call of an import whose errors become its `result`'s `err` (`result-catch-handler`). */
const IMPORT_RESULT_CALL = shape`try {
    const ${String.raw`(?<hostRet>hostRet\d+)`} = _withGlobalCurrentTaskMeta({
      componentIdx: task.componentIdx(),
      taskID: task.id(),
      fn: () =>`;

/** What follows the host call of an import whose errors become an `err`. */
const IMPORT_RESULT_CALL_END = shape`})
    ;`;

/** Identifiers of the task machinery; none may be left in the rewritten component code. */
const TASK_MACHINERY =
  /\b(?:task|subtask|parentTask|started|_wasm_call_currentTaskID|createNewCurrentTask|_withGlobalCurrentTaskMeta|_withGlobalCurrentTaskMetaAsync|getCurrentTask|_getGlobalCurrentTaskMeta|_setGlobalCurrentTaskMeta|_lowerImportBackwardsCompat|_suspendingImport|CURRENT_TASK_META|CURRENT_TASK_MAY_BLOCK|addBorrowedHandle|addResourceLender|rscTableCreateBorrow|RESOURCE_SCOPE_TASKS|_debugLog|Suspending)\b/;

/** The lean helpers, added at the top of `instantiate` (per instantiation: per instance). */
const LEAN_RUNTIME = `
  /* lnano: the lean synchronous call path (host/engine/lean-bindings.ts) */
  const _leanRunning = [];
  const _leanFailed = [];
  function _leanEnter(idx) {
    if (_leanRunning[idx] === true) {
      throw new WebAssembly.RuntimeError('wasm trap: cannot enter component instance (a synchronous export was called while one of the same instance runs)');
    }
    _leanRunning[idx] = true;
    _leanFailed[idx] = undefined;
  }
  function _leanLeave(idx) {
    _leanRunning[idx] = false;
    _leanFailed[idx] = undefined;
  }
  function _leanResolve(idx) {
    const failed = _leanFailed[idx];
    if (failed !== undefined) throw failed.err;
  }
  function _leanFail(idx, err) {
    if (_leanRunning[idx] === true && _leanFailed[idx] === undefined) _leanFailed[idx] = { err };
  }
  function _leanImport(idx, fn) {
    return function () {
      _checkMayLeave(idx);
      return fn.apply(null, arguments);
    };
  }
`;

/** The line jco's bindings begin their work with; the lean helpers go right after it. */
const INSTANTIATE = /^function instantiate\(getCoreModule, imports, instantiateCore = WebAssembly\.instantiate\) \{\n/m;
/** Where the component's own code (everything the rewrite touches) starts. */
const GENERATOR = /^ *let gen\s*=\s*\(function\* _initGenerator \(\) \{$/m;

/** One rewrite: the text replacing `code.slice(start, end)`. */
interface Edit {
  readonly start: number;
  readonly end: number;
  readonly text: string;
}

/** Matches `pattern` exactly at `at`, or throws. */
function expect(src: string, pattern: RegExp, at: number, what: string): RegExpExecArray {
  pattern.lastIndex = at;
  const m = pattern.exec(src);
  if (!m) throw new ShapeError(`${what} not recognised at ${at}: ${JSON.stringify(src.slice(at, at + 120))}`);
  return m;
}

/** Index of the first non-whitespace character at or after `at`. */
function skipSpace(src: string, at: number): number {
  while (at < src.length && /\s/.test(src[at]!)) at++;
  return at;
}

/** Removes every `_debugLog(...);` statement. */
function dropDebugLogs(code: string): string {
  let out = '';
  let from = 0;
  for (;;) {
    const at = code.indexOf('_debugLog(', from);
    if (at < 0) break;
    if (!/(?:^|[\n;{}])\s*$/.test(code.slice(Math.max(0, at - 200), at))) throw new ShapeError('_debugLog used in an expression');
    const close = matching(code, at + '_debugLog'.length);
    if (code[close + 1] !== ';') throw new ShapeError('_debugLog call without a semicolon');
    out += code.slice(from, at);
    from = close + 2;
  }
  return out + code.slice(from);
}

/** `task.resolve([EXPR]);` at `at`: the expression and the index past the statement. */
function resolveAt(code: string, at: number): { expr: string; end: number } {
  const bracket = at + 'task.resolve('.length;
  if (code[bracket] !== '[') throw new ShapeError('task.resolve without an array');
  const close = matching(code, bracket);
  if (code.slice(close, close + 3) !== ']);') throw new ShapeError('task.resolve with more than one value');
  return { expr: code.slice(bracket + 1, close), end: close + 3 };
}

/**
 * The rewrite of one export wrapper, from its prologue at `at` to the end of the wrapper.
 */
function rewriteExport(code: string, at: number): Edit {
  const prologue = expect(code, EXPORT_PROLOGUE, at, 'export prologue');
  const idx = prologue.groups!.idx!;
  const open = skipSpace(code, at + prologue[0].length);
  if (code[open] !== '{') throw new ShapeError('export body does not open a block');
  const close = matching(code, open);
  const epilogue = expect(code, EXPORT_EPILOGUE, skipSpace(code, close + 1), 'export epilogue');
  let body = code.slice(open + 1, close);

  // Searches run on the code with literals blanked (same indices): a string never matches.
  const call = codeOnly(body).search(/\b(?:ret\s*=\s*)?_withGlobalCurrentTaskMeta\(/);
  if (call < 0) throw new ShapeError('export without a guest call');
  const inner = wrappedCall(body, call, EXPORT_CALL, EXPORT_CALL_END, 'export guest call');
  if (inner.groups.idx !== idx) throw new ShapeError('export guest call of another instance');
  body = `${body.slice(0, call)}${inner.groups.assign ? 'ret = ' : ''}${inner.call};
          } catch (err) {
            getOrCreateAsyncState(${idx}).markTrapped(err);
            throw err;
          }${body.slice(inner.end)}`;

  const resolves = [...codeOnly(body).matchAll(/\btask\.resolve\(/g)];
  if (resolves.length !== 1) throw new ShapeError(`export resolves ${resolves.length} times`);
  const resolveStart = resolves[0]!.index;
  const { expr, end } = resolveAt(body, resolveStart);
  body = `${body.slice(0, resolveStart)}_leanResolve(${idx}, ${expr});${body.slice(end)}`;
  const exits = [...codeOnly(body).matchAll(/\btask\.exit\(\);/g)];
  if (exits.length !== 1) throw new ShapeError(`export exits ${exits.length} times`);
  const exitAt = exits[0]!.index;
  body = body.slice(0, exitAt) + body.slice(exitAt + 'task.exit();'.length);

  const lean = `const hostProvided = false;
    getOrCreateAsyncState(${idx}).throwIfTrapped();
    _leanEnter(${idx});
    try {${body}} finally {
      _leanLeave(${idx});
    }`;
  const wrapperEnd = skipSpace(code, close + 1) + epilogue[0].length;
  // jco returned the wrapper's value; the lean body returns by itself, so nothing may follow it.
  if (code[skipSpace(code, wrapperEnd)] !== '}') throw new ShapeError('code after an export wrapper');
  return { start: at, end: wrapperEnd, text: lean };
}

/**
 * The rewrite of one import trampoline, from its prologue at `at` (inside `const _trampolineN =
 * function(...) {`) to the trampoline's closing brace.
 */
function rewriteImport(code: string, at: number): Edit {
  const head = code.lastIndexOf('\n', code.lastIndexOf('= function(', at));
  const fn = /^\s*const (_trampoline\d+) = function\([^)]*\) \{/.exec(code.slice(head, at));
  if (!fn) throw new ShapeError('import trampoline without its function');
  const open = code.indexOf('{', head + fn[0].length - 1);
  const close = matching(code, open);
  const prologue = expect(code, IMPORT_PROLOGUE, at, 'import prologue');
  const idx = prologue.groups!.idx!;
  let rest = code.slice(at + prologue[0].length, close);

  const callAt = skipSpace(rest, 0);
  IMPORT_CALL.lastIndex = callAt;
  if (IMPORT_CALL.test(rest)) {
    const trapping = wrappedCall(rest, callAt, IMPORT_CALL, IMPORT_CALL_END, 'import call');
    if (trapping.groups.idx !== idx) throw new ShapeError('import call of another instance');
    rest = `
    try {
      ${trapping.groups.assign ? 'ret = ' : ''}${trapping.call};
    } catch (err) {
      getOrCreateAsyncState(${idx}).markTrapped(err);
      _leanFail(${idx}, err);
      throw err;
    }${rest.slice(trapping.end)}`;
  } else {
    const caught = wrappedCall(rest, callAt, IMPORT_RESULT_CALL, IMPORT_RESULT_CALL_END, 'import call');
    rest = `
    try {
      const ${caught.groups.hostRet} = ${caught.call};${rest.slice(caught.end)}`;
  }

  const resolves = [...codeOnly(rest).matchAll(/\btask\.resolve\(/g)];
  if (resolves.length !== 1) throw new ShapeError('import does not resolve once');
  const resolveStart = resolves[0]!.index;
  const { expr, end } = resolveAt(rest, resolveStart);
  const exit = /^\s*task\.exit\(\);\s*(?:return [^;\n]*;\s*)?$/.exec(rest.slice(end));
  if (!exit) throw new ShapeError('import does not end with its resolve');
  rest = `${rest.slice(0, resolveStart)}return ${expr};\n  `;

  return { start: at, end: close, text: `let ret;${rest}` };
}

/**
 * Replaces `let trampolineN = _trampolineN.manuallyAsync ? … : _lowerImportBackwardsCompat.bind(…);`
 * with the lean import, after checking the import is synchronous.
 */
function rewriteLowering(code: string, at: number, lowered: Set<string>): Edit {
  const head = /^let (trampoline\d+) = (_trampoline\d+)\.manuallyAsync \? new WebAssembly\.Suspending\(/.exec(code.slice(at, at + 200));
  if (!head || head[2] !== `_${head[1]}`) throw new ShapeError('import lowering not recognised');
  const suspendingClose = matching(code, at + head[0].length - 1);
  const alternative = /^\s*:\s*_lowerImportBackwardsCompat\.bind\(/.exec(code.slice(suspendingClose + 1, suspendingClose + 200));
  if (!alternative) throw new ShapeError('import lowering without its synchronous form');
  const bindOpen = suspendingClose + alternative[0].length;
  const bindClose = matching(code, bindOpen);
  if (code[bindClose + 1] !== ';') throw new ShapeError('import lowering not a statement');
  const args = code.slice(bindOpen + 1, bindClose);
  const idx = /\n\s*componentIdx: (\d+),\n/.exec(args)?.[1];
  if (
    idx === undefined ||
    !/\n\s*isAsync: false,\n/.test(args) ||
    !/\n\s*funcTypeIsAsync: false,\n/.test(args) ||
    !new RegExp(`\\n\\s*isManualAsync: ${head[2]}\\.manuallyAsync,\\n`).test(args) ||
    !new RegExp(`\\n\\s*importFn: ${head[2]},\\n`).test(args)
  ) {
    throw new ShapeError(`${head[1]} is not a synchronous import`);
  }
  lowered.add(head[2]!);
  return { start: at, end: bindClose + 2, text: `let ${head[1]} = _leanImport(${idx}, ${head[2]});` };
}

/** The component's code rewritten (see the module comment). */
function rewrite(component: string): string {
  const code = dropDebugLogs(component);
  const edits: Edit[] = [];
  const rewritten = new Set<string>();
  for (let at = code.indexOf('const hostProvided = '); at >= 0; at = code.indexOf('const hostProvided = ', edits.at(-1)!.end)) {
    if (code.startsWith('const hostProvided = false;', at)) {
      edits.push(rewriteExport(code, at));
    } else if (code.startsWith('const hostProvided = true;', at)) {
      const name = /const (_trampoline\d+) = function\(/.exec(code.slice(code.lastIndexOf('const _trampoline', at), at))?.[1];
      if (!name) throw new ShapeError('import trampoline without a name');
      rewritten.add(name);
      edits.push(rewriteImport(code, at));
    } else {
      throw new ShapeError('unknown hostProvided');
    }
  }
  const lowered = new Set<string>();
  for (const m of code.matchAll(/^ *(let trampoline\d+ = _trampoline)/gm)) {
    edits.push(rewriteLowering(code, m.index + m[0].length - m[1]!.length, lowered));
  }
  for (const name of rewritten) {
    if (!lowered.has(name)) throw new ShapeError(`${name} is not lowered through the lean import`);
  }
  for (const name of lowered) {
    if (!rewritten.has(name)) throw new ShapeError(`${name} was lowered but not rewritten`);
  }
  edits.sort((a, b) => a.start - b.start);
  const parts: string[] = [];
  let from = 0;
  for (const edit of edits) {
    if (edit.start < from) throw new ShapeError('overlapping rewrites');
    parts.push(code.slice(from, edit.start), edit.text);
    from = edit.end;
  }
  parts.push(code.slice(from));
  const lean = parts.join('');
  const left = TASK_MACHINERY.exec(codeOnly(lean));
  if (left) throw new ShapeError(`task machinery left: ${left[0]}`);
  return lean;
}

/** The last rewrite's refusal, for tests and diagnostics. */
export let lastLeanRefusal: string | undefined;

/**
 * jco's bindings (the classic script of `toClassicScript`, or jco's module) with the lean
 * synchronous call path, or undefined when their shape is not the one this rewrite knows (the
 * caller keeps jco's bindings then; `lastLeanRefusal` says why).
 *
 * @param bindings - jco 1.35's generated bindings of a synchronous component
 */
export function leanBindings(bindings: string): string | undefined {
  try {
    const start = INSTANTIATE.exec(bindings);
    const generator = GENERATOR.exec(bindings);
    if (!start || !generator || generator.index < start.index) throw new ShapeError('not jco bindings in instantiation mode');
    const helpersAt = start.index + start[0].length;
    const lean = bindings.slice(0, helpersAt) + LEAN_RUNTIME + bindings.slice(helpersAt, generator.index) + rewrite(bindings.slice(generator.index));
    lastLeanRefusal = undefined;
    return lean;
  } catch (err) {
    if (!(err instanceof ShapeError)) throw err;
    lastLeanRefusal = err.message;
    return undefined;
  }
}
