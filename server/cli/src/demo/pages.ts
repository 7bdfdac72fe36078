import { escapeHtml, page } from './layout.js';

export interface Prices {
  weather: string;
  article: string;
  symbol: string;
}

export function homePage(prices: Prices): string {
  return page(
    'Home',
    `<h1>Pay for the web with Casper, one click at a time</h1>
<p class="muted">This site charges tiny amounts of <strong>${escapeHtml(prices.symbol)}</strong>, a CEP-18 token on the
Casper Network, using the open x402 protocol: no account, no card, no subscription.</p>
<div class="card">
  <h2>How a paid request works</h2>
  <ol class="flow">
    <li>Your browser asks for a paid page or API. The site answers <code>402 Payment Required</code> with a
        <code>PAYMENT-REQUIRED</code> header saying what it costs, in which token, to whom.</li>
    <li>The x402-casper wallet extension shows you the request. You approve it (or it pays within a budget
        you set), and it signs a CEP-3009 <em>transfer with authorization</em>, nothing more.</li>
    <li>The request is retried with a <code>PAYMENT-SIGNATURE</code> header. The site asks its facilitator to
        verify the authorization, serves the content, and the facilitator settles it on chain, paying the gas.</li>
    <li>The response carries a <code>PAYMENT-RESPONSE</code> receipt with the transaction hash.</li>
  </ol>
</div>
<div class="card">
  <h2>Try it</h2>
  <p><a href="/articles/pay-per-article">Read a paid article</a> <span class="price">${escapeHtml(prices.article)} ${escapeHtml(prices.symbol)}</span></p>
  <p><a href="/playground">Call a paid weather API</a> from a page with <code>fetch</code> and <code>XMLHttpRequest</code>
     <span class="price">${escapeHtml(prices.weather)} ${escapeHtml(prices.symbol)}</span></p>
  <p class="muted">Headless: <code>pnpm x402-casper pay http://HOST/api/weather?city=Zug --key payer.pem --max-amount 0.05 --rpc-url DEVNET_RPC_URL</code> (the devnet's JSON-RPC URL, which <code>start</code> prints, tells it the token's decimals)</p>
</div>`,
  );
}

export function articlePage(): string {
  return page(
    'Pay per article',
    `<article class="card" id="paid-article">
  <h1>Why pay-per-article finally works</h1>
  <p class="muted">A paid article · thank you for your payment</p>
  <p>For twenty years the web had two ways to fund writing: advertising, and subscriptions. Both ask too much of
  a reader who wants one page. HTTP had reserved a status code for a third way since 1997, <code>402 Payment
  Required</code>, and never said how to use it.</p>
  <p>x402 says how. The server names its price in a header; the client answers with a signed authorization; a
  facilitator checks it and settles it on chain. On Casper, the authorization is a CEP-3009 transfer that only
  the named payee can receive, for exactly the named amount, within a short time window, once.</p>
  <p>Because the payer signs only an authorization, and the facilitator pays the gas, a reader needs nothing
  but tokens and a wallet that understands 402. That wallet is what you just used.</p>
</article>`,
  );
}

const PLAYGROUND_SCRIPT = `
const result = document.getElementById('result');
const receipt = document.getElementById('receipt');
const status = document.getElementById('status');
const city = () => encodeURIComponent(document.getElementById('city').value || 'Zug');
function decodeReceipt(header) {
  if (!header) return 'no receipt';
  try {
    const json = new TextDecoder().decode(Uint8Array.from(atob(header), (c) => c.charCodeAt(0)));
    return JSON.stringify(JSON.parse(json), null, 2);
  } catch (e) { return 'unreadable receipt: ' + e.message; }
}
function show(via, code, body, header) {
  status.textContent = via + ': HTTP ' + code;
  status.dataset.status = String(code);
  result.textContent = body;
  receipt.textContent = decodeReceipt(header);
}
document.getElementById('fetch-button').addEventListener('click', async () => {
  status.textContent = 'fetch: waiting…';
  try {
    const response = await fetch('/api/weather?city=' + city());
    show('fetch', response.status, await response.text(), response.headers.get('PAYMENT-RESPONSE'));
  } catch (e) { status.textContent = 'fetch failed: ' + e.message; }
});
document.getElementById('xhr-button').addEventListener('click', () => {
  status.textContent = 'XMLHttpRequest: waiting…';
  const xhr = new XMLHttpRequest();
  xhr.open('GET', '/api/weather?city=' + city());
  xhr.onload = () => show('XMLHttpRequest', xhr.status, xhr.responseText, xhr.getResponseHeader('PAYMENT-RESPONSE'));
  xhr.onerror = () => { status.textContent = 'XMLHttpRequest failed'; };
  xhr.send();
});
`;

export function playgroundPage(prices: Prices): string {
  return page(
    'API playground',
    `<h1>Paid API playground</h1>
<p class="muted">Each call to <code>/api/weather</code> costs <span class="price">${escapeHtml(prices.weather)} ${escapeHtml(prices.symbol)}</span>.
Without the wallet extension you will see the 402 answer itself.</p>
<div class="card">
  <label>City <input id="city" value="Zug"></label>
  <button id="fetch-button">Get weather with fetch</button>
  <button id="xhr-button">Get weather with XMLHttpRequest</button>
  <p id="status" class="muted">No request yet.</p>
  <h3>Response</h3>
  <pre id="result"></pre>
  <h3>Receipt (PAYMENT-RESPONSE)</h3>
  <pre id="receipt"></pre>
</div>`,
    PLAYGROUND_SCRIPT,
  );
}
