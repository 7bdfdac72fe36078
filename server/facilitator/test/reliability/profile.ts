// How big the reliability run is: `full` (default) or `short` (X402_RELIABILITY=short, for CI).
const short = process.env.X402_RELIABILITY === 'short';

export const PROFILE = {
  name: short ? 'short' : 'full',
  /** Random and mutated inputs per fuzz target. */
  fuzzCases: short ? 300 : 2000,
  /** Settle fuzz cases (each may wait for a block). */
  settleFuzzCases: short ? 150 : 800,
  /** /verify calls under random RPC faults. */
  faultyVerifies: short ? 60 : 300,
  /** Authorizations settled under random RPC faults. */
  faultySettlements: short ? 12 : 40,
  /** Kill-and-restart rounds, and payments started per round. */
  killRounds: short ? 4 : 10,
  paymentsPerKillRound: short ? 6 : 10,
  /** Sustained load, seconds. */
  loadSeconds: short ? 15 : 65,
} as const;
