/** Second-level labels under which a country code's sites register (example.co.uk). */
const SHARED_SECOND_LEVEL = new Set([
  'co',
  'com',
  'net',
  'org',
  'gov',
  'edu',
  'ac',
  'or',
  'ne',
  'go',
]);

/**
 * The registrable domain of an origin's host, close to the public-suffix rule without its
 * list: `a.b.news.example` → `news.example`, `shop.example.co.uk` → `example.co.uk`; an IP
 * address or a single label (localhost) is itself. Sub-origins of one site share it, so
 * they share one count of rejections.
 */
export function registrableDomain(origin: string): string {
  let host: string;
  try {
    host = new URL(origin).hostname.toLowerCase();
  } catch {
    return origin;
  }
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(host) || host.startsWith('[')) return host;
  const labels = host.split('.').filter(Boolean);
  if (labels.length <= 2) return labels.join('.');
  const tld = labels[labels.length - 1]!;
  const second = labels[labels.length - 2]!;
  const take = tld.length === 2 && SHARED_SECOND_LEVEL.has(second) ? 3 : 2;
  return labels.slice(-take).join('.');
}
