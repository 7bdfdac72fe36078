// What this machine charges for waking up: the CPU a facilitator spends on one trivial request
// (GET /supported) back to back, and after a second of idleness. On a shared VM the second is
// several times the first (caches and predictors gone cold), and a lone settlement wakes from
// such idleness; this row shows that price in the same run as the lone settlement's figure.
import { cpuMsOf } from './processes.js';

export interface WakeCost {
  /** CPU ms per request, one request right after another. */
  backToBackMs: number;
  /** CPU ms per request, each after a second with nothing to do. */
  afterIdleMs: number;
}

const BACK_TO_BACK = 200;
const AFTER_IDLE = 10;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function get(url: string): Promise<void> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`GET ${url} answered ${response.status}`);
  await response.arrayBuffer();
}

export async function wakeCost(baseUrl: string, pid: number): Promise<WakeCost> {
  const url = `${baseUrl}/supported`;
  for (let i = 0; i < 20; i++) await get(url);
  const before = await cpuMsOf(pid);
  for (let i = 0; i < BACK_TO_BACK; i++) await get(url);
  const backToBackMs = ((await cpuMsOf(pid)) - before) / BACK_TO_BACK;
  let idleTotal = 0;
  for (let i = 0; i < AFTER_IDLE; i++) {
    await sleep(1000);
    const from = await cpuMsOf(pid);
    await get(url);
    idleTotal += (await cpuMsOf(pid)) - from;
  }
  return { backToBackMs, afterIdleMs: idleTotal / AFTER_IDLE };
}
