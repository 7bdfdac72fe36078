// JSON-RPC 2.0 over HTTP at POST /rpc, framed as a Casper sidecar frames it.
import Fastify, { type FastifyInstance } from 'fastify';
import type { Chain } from './chain.js';
import { RpcError, rpcError } from './errors.js';
import { callMethod, type Params } from './methods.js';

type Id = string | number | null;

function response(id: Id, body: { result: unknown } | { error: unknown }) {
  return { jsonrpc: '2.0', id, ...body };
}

function errorBody(error: RpcError) {
  return {
    error: {
      code: error.code,
      message: error.message,
      ...(error.data === undefined ? {} : { data: error.data }),
    },
  };
}

/** Answers one JSON-RPC request text; never throws. */
export function handleRpc(chain: Chain, text: string, log: (line: string) => void) {
  let request: unknown;
  try {
    request = JSON.parse(text);
  } catch {
    return response(null, errorBody(rpcError('parse')));
  }
  const isObject = typeof request === 'object' && request !== null && !Array.isArray(request);
  const fields = (isObject ? request : {}) as Record<string, unknown>;
  const id =
    typeof fields.id === 'string' || typeof fields.id === 'number' ? (fields.id as Id) : null;
  if (!isObject || fields.jsonrpc !== '2.0' || typeof fields.method !== 'string') {
    return response(id, errorBody(rpcError('invalidRequest')));
  }
  let params: Params;
  if (fields.params === undefined || fields.params === null) params = {};
  else if (Array.isArray(fields.params) && fields.params.length === 0) params = {};
  else if (typeof fields.params === 'object' && !Array.isArray(fields.params)) {
    params = fields.params as Params;
  } else {
    return response(id, errorBody(rpcError('invalidParams', 'params must be an object (named)')));
  }
  try {
    return response(id, { result: callMethod(chain, fields.method, params) });
  } catch (error) {
    if (error instanceof RpcError) {
      if (fields.method === 'account_put_transaction') log(`transaction refused: ${error.data}`);
      return response(id, errorBody(error));
    }
    log(`internal error in ${fields.method}: ${error instanceof Error ? error.stack : error}`);
    return response(id, errorBody(rpcError('internal', 'internal error')));
  }
}

export function createRpcServer(chain: Chain, log: (line: string) => void): FastifyInstance {
  const app = Fastify({ logger: false, bodyLimit: 4 * 1024 * 1024 });
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (_request, body, done) => done(null, body));
  app.post('/rpc', async (request, reply) => {
    const text = typeof request.body === 'string' ? request.body : '';
    reply.header('content-type', 'application/json');
    return handleRpc(chain, text, log);
  });
  return app;
}
