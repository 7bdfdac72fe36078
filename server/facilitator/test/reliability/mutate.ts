// Seeded random inputs: mutations of valid JSON documents and strings, and the oracle that says
// which verdict a mutated payment must get. Every run prints its seed; X402_FUZZ_SEED replays it.
import {
  addressOfPublicKey,
  authorizationDigest,
  exactPayloadOf,
  normalizeAddress,
  type PaymentPayload,
  type PaymentRequirements,
  verifySignature,
} from '@x402-casper/shared';

export const SEED = Number(process.env.X402_FUZZ_SEED ?? Date.now() % 2 ** 31);

/** A small seeded generator (mulberry32). */
export class Random {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  }

  int(max: number): number {
    return Math.floor(this.next() * max);
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }

  chance(p: number): boolean {
    return this.next() < p;
  }
}

const HEX = '0123456789abcdef';
const ODD_CHARS = ['g', 'Z', ' ', '-', '\u0000', 'é', '\u{1F4A9}', '"', '\\', '%', '+', '/', '='];

/** Values that break naive parsers. */
export function oddValue(random: Random, depth = 0): unknown {
  switch (random.int(depth > 2 ? 14 : 17)) {
    case 0:
      return null;
    case 1:
      return random.chance(0.5);
    case 2:
      return random.pick([0, -1, 1, 2, 1.5, -0.5, 1e21, 2 ** 53 + 1, Number.MAX_VALUE]);
    case 3:
      return '';
    case 4:
      return 'x'.repeat(random.pick([1, 65, 1000, 20_000]));
    case 5:
      return random.pick(ODD_CHARS).repeat(random.int(5) + 1);
    case 6:
      return Array.from({ length: random.pick([64, 66, 130, 63, 65]) }, () =>
        random.pick([...HEX, 'g']),
      ).join('');
    case 7:
      return random.pick([
        '0',
        '-1',
        '1e3',
        '0x10',
        '1.0',
        ' 1',
        '١',
        '99999999999999999999999999999999999999999999999999999999999999999999999999999999',
      ]);
    case 8:
      return random.pick(['casper:casper-test', 'casper:', 'eip155:1', 'casper:casper-net-1 ']);
    case 9:
      return random.pick(['exact', 'upto', 'EXACT', '']);
    case 10:
      return { __proto__: { polluted: true }, constructor: 'x' };
    case 11:
      return JSON.parse('{"__proto__":{"isValid":true}}');
    case 12:
      return [];
    case 13:
      return {};
    case 14:
      return [oddValue(random, depth + 1), oddValue(random, depth + 1)];
    case 15:
      return { [random.pick(['a', 'x402Version', 'payload', ''])]: oddValue(random, depth + 1) };
    default:
      return Array.from({ length: 3 }, () => oddValue(random, depth + 1));
  }
}

export function mutateString(random: Random, text: string): string {
  if (text.length === 0) return random.pick(ODD_CHARS);
  const at = random.int(text.length);
  switch (random.int(9)) {
    case 0: // another hex digit
      return (
        text.slice(0, at) + random.pick([...HEX].filter((c) => c !== text[at])) + text.slice(at + 1)
      );
    case 1:
      return text.slice(0, at) + random.pick(ODD_CHARS) + text.slice(at + 1);
    case 2:
      return text.slice(0, at);
    case 3:
      return text + text.slice(0, random.int(8) + 1);
    case 4:
      return text.toUpperCase();
    case 5:
      return `0x${text}`;
    case 6:
      return ` ${text}\n`;
    case 7:
      return text.slice(0, at) + text.slice(at + 1);
    default:
      return text.slice(0, at) + text[at]!.repeat(2) + text.slice(at + 1);
  }
}

type Json = unknown;
type Path = Array<string | number>;

function paths(value: Json, prefix: Path = []): Path[] {
  const found: Path[] = [prefix];
  if (Array.isArray(value)) {
    value.forEach((v, i) => {
      found.push(...paths(v, [...prefix, i]));
    });
  } else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) found.push(...paths(v, [...prefix, k]));
  }
  return found;
}

function getAt(value: Json, path: Path): Json {
  return path.reduce<Json>((node, key) => (node as Record<string | number, Json>)?.[key], value);
}

function setAt(root: Json, path: Path, replacement: Json | typeof DELETE): Json {
  if (path.length === 0) return replacement === DELETE ? undefined : replacement;
  const parent = getAt(root, path.slice(0, -1)) as Record<string | number, Json>;
  const key = path.at(-1)!;
  if (replacement === DELETE) {
    if (Array.isArray(parent)) parent.splice(key as number, 1);
    else delete parent[key];
  } else parent[key] = replacement;
  return root;
}

const DELETE = Symbol('delete');

/** One to three random changes anywhere in a JSON document (the input is not changed). */
export function mutateJson(random: Random, document: Json): Json {
  let value = structuredClone(document);
  const changes = 1 + random.int(3);
  for (let i = 0; i < changes; i++) {
    const all = paths(value);
    const path = random.pick(all);
    const current = getAt(value, path);
    let replacement: Json | typeof DELETE;
    const roll = random.int(10);
    if (roll < 4 && typeof current === 'string') replacement = mutateString(random, current);
    else if (roll < 4 && typeof current === 'number')
      replacement = random.pick([current + 1, current - 1, -current, current / 2, String(current)]);
    else if (roll < 6 && path.length > 0) replacement = DELETE;
    else if (roll < 7 && current && typeof current === 'object' && !Array.isArray(current)) {
      (current as Record<string, Json>)[random.pick(['extra', 'unknown', '__proto__', 'isValid'])] =
        oddValue(random);
      continue;
    } else replacement = oddValue(random);
    value = setAt(value, path, replacement);
  }
  return value;
}

/**
 * Whether a payment that `verifyPayment` called valid really is: it pays exactly the required
 * amount to the required payee in the required asset and network, its public key owns `from`,
 * and its signature covers the authorization under the token's domain.
 */
export function reallyValid(payload: PaymentPayload, requirements: PaymentRequirements): boolean {
  try {
    const { authorization, publicKey, signature } = exactPayloadOf(payload);
    return (
      payload.accepted.network === requirements.network &&
      payload.accepted.asset.toLowerCase() === requirements.asset.toLowerCase() &&
      payload.accepted.extra?.name === requirements.extra?.name &&
      payload.accepted.extra?.version === requirements.extra?.version &&
      BigInt(authorization.value) === BigInt(requirements.amount) &&
      normalizeAddress(authorization.to) === normalizeAddress(requirements.payTo) &&
      addressOfPublicKey(publicKey) === authorization.from.toLowerCase() &&
      verifySignature(publicKey, authorizationDigest(payload), signature)
    );
  } catch {
    return false;
  }
}
