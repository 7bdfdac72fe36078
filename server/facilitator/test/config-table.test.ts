// The README's configuration table is the schema's: every setting, its variable, its default
// and its meaning, in order. Regenerate the table from `configTable()` when a setting changes.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { envNames } from '../src/config.js';
import { configTable } from '../src/config-schema.js';

const README = new URL('../../../README.md', import.meta.url);

/** The README's table between its markers, as rows of trimmed cells. */
function readmeTable(): string[][] {
  const text = readFileSync(README, 'utf8');
  const start = text.indexOf('<!-- facilitator-config:');
  const end = text.indexOf('<!-- /facilitator-config -->');
  expect(start, 'the README has the table markers').toBeGreaterThan(0);
  return text
    .slice(text.indexOf('\n', start) + 1, end)
    .trim()
    .split('\n')
    .filter((line) => !/^\|[\s|-]+\|$/.test(line))
    .map((line) =>
      line
        .slice(1, -1)
        .split(/(?<!\\)\|/)
        .map((cell) => cell.trim().replace(/\\\|/g, '|')),
    );
}

describe('the configuration table', () => {
  it('in the README is the one the schema gives', () => {
    expect(readmeTable()).toEqual(configTable());
  });

  it('names every environment variable the overlay reads, once', () => {
    const named = configTable()
      .slice(1)
      .map((row) => row[1]!.replace(/`/g, ''));
    const arrays = envNames().filter((name) => !named.includes(name));
    // The arrays of objects are set whole (one JSON variable) or field by field.
    expect(arrays).toEqual(['X402_FACILITATOR_NETWORKS', 'X402_FACILITATOR_NETWORKS_<i>_ASSETS']);
    expect(new Set(named).size).toBe(named.length);
    for (const name of named) expect(envNames()).toContain(name);
  });

  it('gives every setting a meaning and a default or says it is required', () => {
    for (const [field, , fallback, meaning] of configTable().slice(1)) {
      expect(meaning, field).not.toBe('');
      expect(fallback, field).not.toBe('');
    }
  });
});
