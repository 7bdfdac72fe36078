// The benchmark's HTTP client: JSON POSTs over node:http sockets it owns, kept alive as a
// resource server keeps them, and closed once a run is over. With fetch, the connections of a
// burst stayed open until the facilitator's keep-alive timeout (72 s) and then closed all at
// once in the middle of a later row: 64 connections closing cost the facilitator about 25 ms of
// CPU (perf), charged to whichever lone settlement was running then.
import { Agent, request } from 'node:http';

export class BenchClient {
  private readonly agent = new Agent({ keepAlive: true });

  /** POSTs `body` as JSON and answers the parsed JSON reply (any status). */
  post<T>(url: string, body: unknown, headers: Record<string, string> = {}): Promise<T> {
    const payload = JSON.stringify(body);
    return new Promise((resolve, reject) => {
      const call = request(
        url,
        {
          method: 'POST',
          agent: this.agent,
          headers: {
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(payload),
            ...headers,
          },
        },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('end', () => {
            try {
              resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')) as T);
            } catch (error) {
              reject(error);
            }
          });
          response.on('error', reject);
        },
      );
      call.on('error', reject);
      call.end(payload);
    });
  }

  /** Closes every connection; the facilitator's side of closing them comes now, not later. */
  close(): void {
    this.agent.destroy();
  }
}
