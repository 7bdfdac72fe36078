import { readFileSync } from 'node:fs';
import {
  decimalsFromChain,
  decodePaymentRequired,
  fetchWithPayment,
  formatAmount,
  PAYMENT_REQUIRED_HEADER,
  type PaymentEvent,
  PaymentRefusedError,
  parseExactRequirements,
  type SettleResponse,
  secretKeyFromPem,
  secretKeySigner,
  settlementFailureOf,
} from '@x402-casper/shared';
import { parseOptions, UsageError } from '../args.js';

export const DEFAULT_MAX_AMOUNT = '0.05';

const USAGE =
  'usage: x402-casper pay <url> --key FILE [--max-amount 0.05] [--rpc-url URL] [--method POST] [--data BODY] [--header "Name: value"]…';

function headersOf(lines: string[]): Headers {
  const headers = new Headers();
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon < 1) throw new UsageError(`--header must look like "Name: value", got "${line}"`);
    headers.append(line.slice(0, colon).trim(), line.slice(colon + 1).trim());
  }
  return headers;
}

/**
 * Why the server did not deliver: a failed settlement's reason from PAYMENT-RESPONSE, in words
 * with its code; else the error of its body or PAYMENT-REQUIRED header.
 */
async function refusalOf(response: Response, receipt: SettleResponse | undefined): Promise<string> {
  const failure = settlementFailureOf(receipt);
  if (failure !== undefined) return `the payment was not settled: ${failure}`;
  const text = await response.text();
  try {
    const error = (JSON.parse(text) as { error?: unknown }).error;
    if (typeof error === 'string') return error;
  } catch {
    // not JSON: fall back to the header
  }
  try {
    return (
      decodePaymentRequired(response.headers.get(PAYMENT_REQUIRED_HEADER)).error ??
      text.slice(0, 300)
    );
  } catch {
    return text.slice(0, 300) || `HTTP ${response.status}`;
  }
}

/**
 * `x402-casper pay <url> --key FILE`: fetches a URL, paying a Casper x402 402 within
 * --max-amount (token units, by csprUSD's decimals or those read through --rpc-url). The body
 * goes to stdout, the receipt to stderr; exits 1 when it will not or cannot pay, or when the
 * server does not deliver.
 */
export async function main(args: string[]): Promise<number> {
  const { values, positionals } = parseOptions(
    args,
    {
      key: { type: 'string' },
      'max-amount': { type: 'string', default: DEFAULT_MAX_AMOUNT },
      'rpc-url': { type: 'string' },
      method: { type: 'string', default: 'GET' },
      data: { type: 'string' },
      header: { type: 'string', multiple: true, default: [] },
    },
    true,
  );
  const [url] = positionals;
  if (!url || positionals.length > 1) throw new UsageError(USAGE);
  if (!values.key) throw new UsageError(`--key FILE is required\n${USAGE}`);
  let pem: string;
  try {
    pem = readFileSync(values.key, 'utf8');
  } catch (error) {
    throw new UsageError(`cannot read key file ${values.key}: ${(error as Error).message}`);
  }
  const signer = secretKeySigner(secretKeyFromPem(pem));
  let paid: PaymentEvent | undefined;
  // --max-amount is in token units: converted with csprUSD's known decimals, or with those the
  // node at --rpc-url keeps for the token, never with the site's word.
  const rpcUrl = values['rpc-url'];
  const pay = fetchWithPayment(
    fetch,
    signer,
    {
      maxAmount: values['max-amount'],
      ...(rpcUrl === undefined ? {} : { decimalsOf: decimalsFromChain(rpcUrl) }),
    },
    { onPayment: (e) => (paid = e) },
  );
  let response: Response;
  try {
    response = await pay(url, {
      method: values.method.toUpperCase(),
      headers: headersOf(values.header),
      ...(values.data !== undefined ? { body: values.data } : {}),
    });
  } catch (error) {
    if (error instanceof PaymentRefusedError) {
      const hint =
        rpcUrl === undefined && /no decimalsOf/.test(error.message)
          ? ' (give --rpc-url, a node of that network, to read its decimals from the chain)'
          : '';
      process.stderr.write(`x402-casper pay: ${error.message}${hint}\n`);
      return 1;
    }
    throw new UsageError(`request to ${url} failed: ${(error as Error).message}`);
  }
  if (!response.ok) {
    const why = await refusalOf(response, paid?.receipt);
    const paying = paid ? ' after paying' : '';
    process.stderr.write(
      `x402-casper pay: ${url} answered HTTP ${response.status}${paying}: ${why}\n`,
    );
    return 1;
  }
  process.stdout.write(Buffer.from(await response.arrayBuffer()));
  if (paid) {
    const option = paid.payload.accepted;
    // It was paid, so it parses; extra.decimals may have come as a string ("2", the Go server).
    const decimals = parseExactRequirements(option).decimals ?? 0;
    const symbol = typeof option.extra?.symbol === 'string' ? option.extra.symbol : option.asset;
    const receipt = paid.receipt;
    process.stderr.write(
      `paid ${formatAmount(option.amount, decimals)} ${symbol} to ${option.payTo} on ${option.network}` +
        ` · transaction ${receipt?.transaction || '(no receipt)'}\n`,
    );
  }
  return 0;
}
