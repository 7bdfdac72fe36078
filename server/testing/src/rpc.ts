// Raw JSON-RPC calls, as any client of a Casper node makes them.

export interface RpcAnswer {
  result?: Record<string, unknown>;
  error?: { code: number; message: string; data?: unknown };
}

export async function rpc(url: string, method: string, params: unknown = {}): Promise<RpcAnswer> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
  });
  return (await response.json()) as RpcAnswer;
}

/** The result of a call that must succeed. */
export async function rpcResult(url: string, method: string, params: unknown = {}) {
  const answer = await rpc(url, method, params);
  if (!answer.result) throw new Error(`${method} failed: ${JSON.stringify(answer.error)}`);
  return answer.result;
}
