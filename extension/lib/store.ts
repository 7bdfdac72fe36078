import { browser } from 'wxt/browser';

/** Reads one value from extension storage, or `fallback` when it was never written. */
export async function readArea<T>(area: 'local' | 'session', key: string, fallback: T): Promise<T> {
  const items = await browser.storage[area].get(key);
  const value = items[key];
  return value === undefined ? fallback : (value as T);
}

export async function writeArea(area: 'local' | 'session', key: string, value: unknown) {
  await browser.storage[area].set({ [key]: value });
}

export async function removeArea(area: 'local' | 'session', key: string) {
  await browser.storage[area].remove(key);
}

/**
 * Runs async read-modify-write steps one after another, so two messages arriving together
 * cannot both read the same old value (budgets, history, settings).
 */
export class Serial {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(step: () => Promise<T>): Promise<T> {
    const next = this.tail.then(step, step);
    this.tail = next.catch(() => undefined);
    return next;
  }
}
