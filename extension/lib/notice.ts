/** A small, self-dismissing note in the corner of the page, isolated from the page's CSS. */
export function showNotice(doc: Document, text: string, tone: 'info' | 'error'): void {
  const host = doc.createElement('x402-casper-notice');
  const root = host.attachShadow({ mode: 'open' });
  const box = doc.createElement('div');
  box.setAttribute('role', 'status');
  box.textContent = text;
  const style = doc.createElement('style');
  style.textContent = `
    div { position: fixed; right: 16px; bottom: 16px; z-index: 2147483647; max-width: 340px;
      padding: 10px 14px; border-radius: 10px; font: 13px/1.4 system-ui, sans-serif;
      color: #fff; background: ${tone === 'error' ? '#b42318' : '#1d4ed8'};
      box-shadow: 0 6px 24px rgba(0,0,0,.25); }`;
  root.append(style, box);
  (doc.body ?? doc.documentElement).append(host);
  setTimeout(() => host.remove(), tone === 'error' ? 10_000 : 6_000);
}
