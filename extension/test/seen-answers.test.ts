import { describe, expect, it } from 'vitest';
import { type SeenAnswer, SeenAnswers } from '../lib/seen-answers.js';

const answer: SeenAnswer = {
  tabId: 4,
  frameId: 0,
  url: 'http://localhost:4021/api/item?x=1',
  paymentRequired: 'eyJ4NDAyVmVyc2lvbiI6Mn0=',
};

describe("the browser's word on which host answered 402", () => {
  it('confirms only the same tab, frame, URL (without fragment) and PAYMENT-REQUIRED it saw', async () => {
    const seen = new SeenAnswers(async () => true);
    seen.saw(answer);
    expect(await seen.confirms({ ...answer, url: `${answer.url}#part` })).toBe(true);
    expect(await seen.confirms({ ...answer, tabId: 5 })).toBe(false);
    expect(await seen.confirms({ ...answer, frameId: 2 })).toBe(false);
    expect(await seen.confirms({ ...answer, url: 'http://localhost:4021/api/other' })).toBe(false);
    expect(await seen.confirms({ ...answer, paymentRequired: 'e30=' })).toBe(false);
  });

  it("waits briefly for the browser's report when the page's message comes first", async () => {
    const seen = new SeenAnswers(async () => true);
    const asked = seen.confirms(answer);
    setTimeout(() => seen.saw(answer), 50);
    expect(await asked).toBe(true);
  });

  it('cannot confirm a host the wallet has no access to, and says so at once', async () => {
    const seen = new SeenAnswers(async () => false);
    seen.saw(answer);
    const started = Date.now();
    expect(await seen.confirms(answer)).toBe(false);
    expect(Date.now() - started).toBeLessThan(500);
  });

  it('forgets what it saw after a minute', async () => {
    let clock = 0;
    const seen = new SeenAnswers(
      async () => true,
      () => clock,
    );
    seen.saw(answer);
    clock = 61_000;
    expect(await seen.confirms(answer)).toBe(false);
  });
});
