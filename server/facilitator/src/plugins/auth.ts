// The API key check of the x402 routes: a plugin for the scope that holds them (its hook
// applies to every route of that scope, none outside it), comparing keys in constant time.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyPluginAsync } from 'fastify';
import fp from 'fastify-plugin';

declare module 'fastify' {
  interface FastifyRequest {
    /** The stable name of the API key the request carried ('' without keys, or outside the keyed scope). */
    caller: string;
  }
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

/**
 * API keys, presented as `Authorization: Bearer <key>` or as the bare key
 * (`Authorization: <key>`, as the Go reference's resource servers send it). Every configured
 * key is compared (hashes of equal length, in constant time), so timing tells nothing about
 * which key or how much of it matched.
 */
export class ApiKeys {
  private readonly hashes: Buffer[];

  constructor(keys: string[]) {
    this.hashes = keys.map(digest);
  }

  get required(): boolean {
    return this.hashes.length > 0;
  }

  /**
   * A name for the caller holding key `index` that is the same on every replica, whatever the
   * order of their key lists (rate limits and idempotency keys are scoped by it).
   */
  callerOf(index: number): string {
    return `key:${this.hashes[index]!.subarray(0, 12).toString('hex')}`;
  }

  /** The index of the key an `Authorization` header carries (Bearer or bare), or -1. */
  match(header: string | undefined): number {
    const value = typeof header === 'string' ? header.trim() : '';
    // Keys hold no whitespace (config refuses it), so a value with none is a bare key.
    const token = /^Bearer +(\S+)$/i.exec(value)?.[1] ?? (/^\S+$/.test(value) ? value : '');
    const presented = digest(token);
    let found = -1;
    this.hashes.forEach((hash, i) => {
      if (timingSafeEqual(hash, presented) && token !== '') found = i;
    });
    return found;
  }
}

const authPlugin: FastifyPluginAsync<{ apiKeys: ApiKeys }> = async (app, { apiKeys }) => {
  app.addHook('onRequest', async (request, reply) => {
    if (!apiKeys.required) return;
    const index = apiKeys.match(request.headers.authorization);
    if (index < 0) {
      reply.header('www-authenticate', 'Bearer');
      return reply.code(401).send({
        error: 'unauthorized',
        message: 'a valid API key is required: Authorization: Bearer <key>, or the bare key',
      });
    }
    request.caller = apiKeys.callerOf(index);
  });
};

/** With API keys configured, every request of the scope needs one; its caller is then the key. */
export const auth = fp(authPlugin, { name: 'x402-casper-auth', fastify: '5.x' });
