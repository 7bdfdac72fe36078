export interface Rate {
  operations: number;
  seconds: number;
  perSecond: number;
}

/** Runs `operation` repeatedly for about `seconds` (after a short warm-up) and reports its rate. */
export function measure(operation: () => void, seconds = 1.5): Rate {
  const warmUntil = performance.now() + 200;
  while (performance.now() < warmUntil) operation();
  let operations = 0;
  const start = performance.now();
  const end = start + seconds * 1000;
  while (performance.now() < end) {
    operation();
    operations++;
  }
  const elapsed = (performance.now() - start) / 1000;
  return { operations, seconds: elapsed, perSecond: operations / elapsed };
}
