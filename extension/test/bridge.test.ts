import { describe, expect, it } from 'vitest';
import { provenanceOf } from '../lib/bridge.js';

/** A window as the bridge reads it: origin, referrer, opener, activation, top. */
function fakeWindow(init: {
  origin: string;
  referrer?: string;
  opener?: unknown;
  active?: boolean;
  top?: Window;
}): Window {
  const win = {
    location: { origin: init.origin },
    document: { referrer: init.referrer ?? '' },
    opener: init.opener ?? null,
    navigator: { userActivation: { hasBeenActive: init.active === true } },
  } as unknown as Window & { top: Window };
  win.top = init.top ?? win;
  return win;
}

/** A window of another origin: reading its location or document throws, as the browser does. */
function foreignWindow(): Window {
  const deny = () => {
    throw new DOMException('Blocked a frame', 'SecurityError');
  };
  return {
    get location() {
      return deny();
    },
    get document() {
      return deny();
    },
  } as unknown as Window;
}

describe("a frame's provenance, for budgets", () => {
  it('is the top page itself for a top frame', () => {
    const top = fakeWindow({
      origin: 'https://news.example',
      referrer: 'https://news.example/',
      active: true,
    });
    expect(provenanceOf(top)).toEqual({
      referrer: 'https://news.example/',
      openedByOther: false,
      activated: true,
    });
  });

  it("is the same-origin top page's, so a frame of a page another site opened does not pass for the site's own", () => {
    const top = fakeWindow({
      origin: 'https://news.example',
      referrer: 'https://evil.example/',
      opener: foreignWindow(),
    });
    // The frame's own: referrer the parent, no opener, used — the top's is what counts.
    const frame = fakeWindow({
      origin: 'https://news.example',
      referrer: 'https://news.example/',
      active: true,
      top,
    });
    expect(provenanceOf(frame)).toEqual({
      referrer: 'https://evil.example/',
      openedByOther: true,
      activated: false,
    });
  });

  it('is unknown, and never budgetable, when the top is of another origin', () => {
    const frame = fakeWindow({
      origin: 'https://news.example',
      referrer: 'https://news.example/',
      active: true,
      top: foreignWindow(),
    });
    expect(provenanceOf(frame)).toEqual({ referrer: '', openedByOther: true, activated: false });
  });
});
