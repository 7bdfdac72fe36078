const escapeHtml = (text: string) =>
  text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );

export { escapeHtml };

const STYLE = `
  :root { --ink: #1b1d24; --muted: #5d6373; --accent: #ff473e; --bg: #f4f5f8; --card: #fff; }
  * { box-sizing: border-box; }
  body { margin: 0; font: 16px/1.6 system-ui, -apple-system, sans-serif; color: var(--ink); background: var(--bg); }
  header { background: var(--ink); color: #fff; padding: .9rem 0; }
  header nav, main { max-width: 52rem; margin: 0 auto; padding: 0 1.25rem; }
  header nav { display: flex; gap: 1.25rem; align-items: center; }
  header a { color: #fff; text-decoration: none; opacity: .85; } header a:hover { opacity: 1; }
  header .brand { font-weight: 700; opacity: 1; margin-right: auto; }
  header .brand span { color: var(--accent); }
  main { padding-top: 2rem; padding-bottom: 3rem; }
  .card { background: var(--card); border-radius: 14px; padding: 1.5rem 1.75rem; margin: 1.25rem 0;
          box-shadow: 0 6px 24px rgba(20, 24, 40, .06); }
  h1 { font-size: 2rem; line-height: 1.2; margin: .5rem 0 1rem; }
  ol.flow li { margin: .35rem 0; }
  .price { display: inline-block; background: #fff0ef; color: #b3261e; border-radius: 999px; padding: 0 .6rem; font-weight: 600; font-size: .9rem; }
  button { font: inherit; background: var(--accent); color: #fff; border: 0; border-radius: 10px; padding: .6rem 1.1rem; cursor: pointer; }
  button:hover { filter: brightness(1.05); }
  pre { background: #0f1117; color: #d8dee9; border-radius: 10px; padding: 1rem; overflow: auto; font-size: .85rem; min-height: 3rem; }
  code { font-family: ui-monospace, monospace; font-size: .9em; }
  .muted { color: var(--muted); }
`;

/** The demo site's page shell. `body` is trusted HTML. */
export function page(title: string, body: string, script = ''): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)} · Casper x402 demo</title>
<style>${STYLE}</style>
</head>
<body>
<header><nav>
  <a class="brand" href="/">Casper <span>x402</span> demo</a>
  <a href="/articles/pay-per-article">Paid article</a>
  <a href="/playground">API playground</a>
</nav></header>
<main>
${body}
</main>
${script ? `<script>${script}</script>` : ''}
</body>
</html>
`;
}
