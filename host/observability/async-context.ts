/**
 * An OpenTelemetry context manager on `AsyncLocalStorage`, so the active span follows a call
 * through `await`s, timers and promise queues (the role of `@opentelemetry/context-async-hooks`,
 * which is not a dependency: this is its whole job in 40 lines).
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { type Context, type ContextManager, ROOT_CONTEXT } from '@opentelemetry/api';

export class AsyncContextManager implements ContextManager {
  readonly #storage = new AsyncLocalStorage<Context>();

  active(): Context {
    return this.#storage.getStore() ?? ROOT_CONTEXT;
  }

  with<A extends unknown[], F extends (...args: A) => ReturnType<F>>(context: Context, fn: F, thisArg?: ThisParameterType<F>, ...args: A): ReturnType<F> {
    return this.#storage.run(context, () => fn.call(thisArg, ...args));
  }

  bind<T>(context: Context, target: T): T {
    if (typeof target !== 'function') return target;
    const run = (fn: (...a: unknown[]) => unknown, self: unknown, args: unknown[]): unknown => this.with(context, () => fn.apply(self, args));
    const fn = target as unknown as (...a: unknown[]) => unknown;
    return function bound(this: unknown, ...args: unknown[]) {
      return run(fn, this, args);
    } as unknown as T;
  }

  enable(): this {
    return this;
  }

  disable(): this {
    this.#storage.disable();
    return this;
  }
}
