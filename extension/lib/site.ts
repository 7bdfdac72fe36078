// Which site a host belongs to, by the Public Suffix List (public-suffixes.ts): the rules under
// which anyone may register a name (`com`, `co.uk`, `github.io`, `*.kawasaki.jp`).
import { PUBLIC_SUFFIXES } from './public-suffixes.js';

interface Node {
  /** A rule ends here (the labels down to this one are a public suffix). */
  rule: boolean;
  children: Map<string, Node>;
}

let trie: Map<string, Node> | undefined;

/** Reads the list's trie once, on first use: `label(children)`, `label?(…)` when no rule. */
function publicSuffixes(): Map<string, Node> {
  if (trie) return trie;
  const text = PUBLIC_SUFFIXES;
  let at = 0;
  const level = (): Map<string, Node> => {
    const children = new Map<string, Node>();
    while (at < text.length) {
      const start = at;
      while (at < text.length && !',()?'.includes(text[at]!)) at++;
      const label = text.slice(start, at);
      const node: Node = { rule: true, children: new Map() };
      if (text[at] === '?') {
        node.rule = false;
        at++;
      }
      if (text[at] === '(') {
        at++;
        node.children = level();
        at++; // ')'
      }
      children.set(label, node);
      if (text[at] !== ',') break;
      at++;
    }
    return children;
  };
  trie = level();
  return trie;
}

/**
 * How many of `labels` (a host's, last one first) are its public suffix, by the list's
 * algorithm: the longest matching rule, an exception rule winning; at least the last label.
 */
function suffixLength(reversed: string[]): number {
  let length = 1;
  let children = publicSuffixes();
  for (const [i, label] of reversed.entries()) {
    if (children.has(`!${label}`)) return i;
    if (children.has('*')) length = Math.max(length, i + 1);
    const node = children.get(label);
    if (!node) break;
    if (node.rule) length = Math.max(length, i + 1);
    children = node.children;
  }
  return length;
}

/**
 * The registrable domain of an origin's host: its public suffix and one label more
 * (`a.b.news.example.com` → `example.com`, `shop.example.co.uk` → `example.co.uk`,
 * `a.github.io` → `a.github.io`). A host that is itself a public suffix, an IP address or a
 * single label (localhost) is itself. Sub-origins of one site share it, so they share one
 * count of rejections; two sites under one public suffix do not.
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
  if (labels.length <= 1) return labels.join('.');
  const suffix = suffixLength([...labels].reverse());
  return labels.slice(-Math.min(labels.length, suffix + 1)).join('.');
}
