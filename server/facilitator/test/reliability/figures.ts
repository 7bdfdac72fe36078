// Figures each reliability file records; the global teardown adds them up and prints them.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { inject } from 'vitest';

declare module 'vitest' {
  export interface ProvidedContext {
    figuresDir: string;
  }
}

/** The totals the final report shows; a file may add its own details. */
export interface Figures {
  /** Random or mutated inputs tried. */
  cases: number;
  /** RPC faults and process kills injected. */
  faults: number;
  /** Authorizations whose ledger row, reported result and chain record were compared. */
  settlementsChecked: number;
  /** Authorizations with more than one transaction executed on chain. */
  duplicates: number;
  details: Record<string, unknown>;
}

export function emptyFigures(): Figures {
  return { cases: 0, faults: 0, settlementsChecked: 0, duplicates: 0, details: {} };
}

/** Saves one file's figures for the final report. */
export function recordFigures(name: string, figures: Figures): void {
  writeFileSync(join(inject('figuresDir'), `${name}.json`), JSON.stringify(figures, null, 2));
}
