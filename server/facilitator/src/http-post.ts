// The facilitator's transport for chain reads: node:http(s) with one keep-alive agent per
// process, a fraction of fetch's CPU per call (measured by `pnpm bench`). It honours the
// caller's abort signal, which carries the RPC time limit.
import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { JsonPost } from '@x402-casper/shared';

const httpAgent = new HttpAgent({ keepAlive: true, maxSockets: 64 });
const httpsAgent = new HttpsAgent({ keepAlive: true, maxSockets: 64 });

export const keepAlivePost: JsonPost = (url, body, signal) =>
  new Promise((resolve, reject) => {
    const target = new URL(url);
    const secure = target.protocol === 'https:';
    const send = secure ? httpsRequest : httpRequest;
    const request = send(
      target,
      {
        method: 'POST',
        agent: secure ? httpsAgent : httpAgent,
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
        },
        signal,
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () =>
          resolve({
            status: response.statusCode ?? 0,
            text: Buffer.concat(chunks).toString('utf8'),
          }),
        );
        response.on('error', reject);
      },
    );
    request.on('error', (error) => {
      // An abort carries the signal's reason (a TimeoutError for the time limit).
      reject(signal.aborted ? signal.reason : error);
    });
    request.end(body);
  });
