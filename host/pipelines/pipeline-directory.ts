/**
 * A directory of pipeline files, hot-reloaded: `fs.watch` (debounced) plus a periodic rescan in
 * case an event was missed. A changed file replaces its pipeline for new runs (runs in progress
 * keep the definition they started with); an invalid file keeps the previous definition serving
 * and reports its coded error; a deleted file removes its pipeline.
 */
import { type FSWatcher, watch } from 'node:fs';
import { mkdir, readdir, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { LnError, toLnError } from '../errors/ln-error.js';
import { type Logger, silentLogger } from '../log/logger.js';
import { PIPELINE_DEFAULTS } from './pipeline-defaults.js';
import type { PipelineDefinition } from './pipeline-definition.js';
import { parsePipelineText, pipelineNameOf } from './pipeline-file.js';

/** One pipeline name as the directory holds it. */
export interface PipelineEntry {
  readonly name: string;
  /** Its file's path. */
  readonly file: string;
  /** Whether the file as it is now is valid. */
  readonly valid: boolean;
  /** What new runs use: the file's definition, or while the file is invalid, the last valid one (if any). */
  readonly definition: PipelineDefinition | undefined;
  /** Why the file is invalid. */
  readonly error: LnError | undefined;
  /** The text last read. */
  readonly text: string;
}

export interface PipelineDirectoryOptions {
  readonly dir: string;
  readonly logger?: Logger;
  /** Watch the directory; default true. */
  readonly watch?: boolean;
  readonly debounceMs?: number;
  readonly rescanIntervalMs?: number;
  /** Called after each scan that changed something, with the names that changed. */
  readonly onChange?: (names: string[]) => void;
}

export class PipelineDirectory {
  readonly dir: string;
  readonly #log: Logger;
  readonly #options: PipelineDirectoryOptions;
  readonly #entries = new Map<string, PipelineEntry>();
  #watcher: FSWatcher | undefined;
  #interval: NodeJS.Timeout | undefined;
  #debounce: NodeJS.Timeout | undefined;
  #scanning: Promise<void> | undefined;
  #again = false;
  #closed = false;

  constructor(options: PipelineDirectoryOptions) {
    this.dir = options.dir;
    this.#options = options;
    this.#log = options.logger ?? silentLogger();
  }

  /** Creates the directory if needed, reads it, and starts watching. */
  async open(): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    await this.scan();
    if (this.#options.watch === false) return;
    try {
      this.#watcher = watch(this.dir, { persistent: false }, () => this.#changed());
      this.#watcher.on('error', (err) => this.#log.warn({ err, dir: this.dir }, 'pipeline directory watch failed; rescanning periodically'));
    } catch (err) {
      this.#log.warn({ err, dir: this.dir }, 'cannot watch the pipeline directory; rescanning periodically');
    }
    this.#interval = setInterval(() => void this.scan(), this.#options.rescanIntervalMs ?? PIPELINE_DEFAULTS.rescanIntervalMs);
    this.#interval.unref();
  }

  #changed(): void {
    clearTimeout(this.#debounce);
    this.#debounce = setTimeout(() => void this.scan(), this.#options.debounceMs ?? PIPELINE_DEFAULTS.watchDebounceMs);
    this.#debounce.unref();
  }

  /** Every pipeline, by name. */
  list(): PipelineEntry[] {
    return [...this.#entries.values()].sort((a, b) => (a.name < b.name ? -1 : 1));
  }

  get(name: string): PipelineEntry | undefined {
    return this.#entries.get(name);
  }

  /** Reads the directory again (one scan at a time; a request during a scan runs one more after it). */
  scan(): Promise<void> {
    if (this.#scanning) {
      this.#again = true;
      return this.#scanning;
    }
    this.#scanning = (async () => {
      do {
        this.#again = false;
        await this.#scanOnce().catch((err: unknown) => this.#log.error({ err: toLnError(err), dir: this.dir }, 'pipeline directory scan failed'));
      } while (this.#again && !this.#closed);
    })().finally(() => {
      this.#scanning = undefined;
    });
    return this.#scanning;
  }

  async #scanOnce(): Promise<void> {
    if (this.#closed) return;
    const names = (await readdir(this.dir))
      .filter((f) => pipelineNameOf(f) !== undefined)
      .sort()
      .slice(0, PIPELINE_DEFAULTS.maxFiles);
    const seen = new Map<string, string>();
    const changed: string[] = [];
    for (const fileName of names) {
      const name = pipelineNameOf(fileName)!;
      const file = join(this.dir, fileName);
      const other = seen.get(name);
      if (other !== undefined) {
        this.#log.warn({ file, other }, 'two files define one pipeline; the first (by name) is used');
        continue;
      }
      seen.set(name, file);
      let text: string;
      try {
        text = await readFile(file, 'utf8');
      } catch {
        continue; // deleted meanwhile: the next scan sees it gone
      }
      const previous = this.#entries.get(name);
      if (previous && previous.file === file && previous.text === text) continue;
      changed.push(name);
      try {
        const definition = parsePipelineText(text, file);
        this.#entries.set(name, { name, file, valid: true, definition, error: undefined, text });
        this.#log.info({ pipeline: name, file, steps: definition.order.length }, previous ? 'pipeline reloaded' : 'pipeline loaded');
      } catch (err) {
        const error = toLnError(err);
        this.#entries.set(name, { name, file, valid: false, definition: previous?.definition, error, text });
        this.#log.warn(
          { pipeline: name, file, code: error.code, err: error, keeps: previous?.definition ? 'the previous definition' : 'nothing' },
          'invalid pipeline file',
        );
      }
    }
    for (const name of [...this.#entries.keys()]) {
      if (seen.has(name)) continue;
      this.#entries.delete(name);
      changed.push(name);
      this.#log.info({ pipeline: name }, 'pipeline removed');
    }
    if (changed.length > 0) this.#options.onChange?.(changed);
  }

  /**
   * Writes a pipeline as `<dir>/<name>.json` (or over the file that defines it now), then reads
   * the directory so the change is live when this returns. Validate first: this writes anything.
   */
  async write(name: string, document: unknown): Promise<PipelineEntry> {
    const file = this.#entries.get(name)?.file ?? join(this.dir, `${name}.json`);
    const temp = join(this.dir, `.${name}.${process.pid}.${Date.now()}.tmp`);
    await writeFile(temp, `${JSON.stringify(document, null, 2)}\n`, { mode: 0o644 });
    await rename(temp, file);
    await this.scan();
    return this.#entries.get(name)!;
  }

  /**
   * Deletes a pipeline's file and forgets it.
   *
   * @throws LnError `LN_ERR_EVENT_PIPELINE_NOT_FOUND`
   */
  async delete(name: string): Promise<void> {
    const entry = this.#entries.get(name);
    if (!entry) throw new LnError('LN_ERR_EVENT_PIPELINE_NOT_FOUND', { name });
    await unlink(entry.file).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') throw err;
    });
    await this.scan();
  }

  /** Stops watching. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#watcher?.close();
    clearInterval(this.#interval);
    clearTimeout(this.#debounce);
    await this.#scanning;
  }
}
