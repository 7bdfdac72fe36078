import { formatAmount, type PaymentRequired, parseDecimals } from '@x402-casper/shared';

const escapeHtml = (text: string) =>
  text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );

/** JSON safe to place inside a <script> element. */
const scriptJson = (value: unknown) => JSON.stringify(value).replace(/</g, '\\u003c');

/**
 * The HTML a browser gets for a paid page it has not paid for: what is asked, in words, and
 * the PaymentRequired object in `<script id="x402-payment-required">` for wallet extensions.
 */
export function paywallPage(required: PaymentRequired): string {
  const option = required.accepts[0]!;
  const extra = option.extra ?? {};
  let decimals = 0;
  try {
    decimals = parseDecimals(extra.decimals, 'extra.decimals') ?? 0;
  } catch {
    // shown in atomic units
  }
  const symbol = typeof extra.symbol === 'string' ? extra.symbol : 'tokens';
  const title = required.resource.description || required.resource.url;
  const rows: [string, string][] = [
    ['Price', `${formatAmount(option.amount, decimals)} ${symbol}`],
    ['Pay to', option.payTo],
    ['Network', option.network],
    ['Token package', option.asset],
  ];
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Payment required · ${escapeHtml(title)}</title>
<style>
  body { font: 16px/1.5 system-ui, sans-serif; background: #f4f5f8; color: #1b1d24; margin: 0; }
  main { max-width: 34rem; margin: 4rem auto; background: #fff; border-radius: 14px; padding: 2rem 2.25rem;
         box-shadow: 0 8px 30px rgba(20, 24, 40, .08); }
  .badge { display: inline-block; background: #ff473e; color: #fff; font-weight: 600; border-radius: 999px;
           padding: .1rem .7rem; font-size: .85rem; letter-spacing: .02em; }
  h1 { font-size: 1.5rem; margin: .75rem 0 .25rem; }
  dl { display: grid; grid-template-columns: max-content 1fr; gap: .4rem 1rem; margin: 1.5rem 0; }
  dt { color: #667; } dd { margin: 0; font-family: ui-monospace, monospace; word-break: break-all; }
  .price { font-size: 1.25rem; font-weight: 700; font-family: system-ui, sans-serif; }
  p.hint { color: #556; font-size: .95rem; }
</style>
</head>
<body>
<main>
  <span class="badge">402 · Payment required</span>
  <h1>${escapeHtml(title)}</h1>
  <p>This page costs a small payment on the Casper Network. Nothing is charged until you approve it.</p>
  <dl>
${rows.map(([k, v], i) => `    <dt>${k}</dt><dd${i === 0 ? ' class="price"' : ''}>${escapeHtml(v)}</dd>`).join('\n')}
  </dl>
  <p class="hint">With the x402-casper wallet extension installed, you will be asked to approve the
  payment and the page will appear once it is paid. Scripts and agents can pay with
  <code>x402-casper pay ${escapeHtml(required.resource.url)}</code>.</p>
</main>
<script type="application/json" id="x402-payment-required">${scriptJson(required)}</script>
</body>
</html>
`;
}
