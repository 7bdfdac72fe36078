/** Whether the zero-width joiner at `at` stands between two emoji (each maybe with VS16 or a skin tone). */
function joinsEmoji(text: string, at: number): boolean {
  return (
    /\p{Extended_Pictographic}[\uFE0F\p{Emoji_Modifier}]?$/u.test(
      text.slice(Math.max(0, at - 4), at),
    ) && /^\p{Extended_Pictographic}/u.test(text.slice(at + 1, at + 3))
  );
}

/**
 * Text a site wrote (a description, a token symbol or name), made safe to show: bidi
 * controls and invisible characters removed (they make one symbol read as another, or hide
 * text), whitespace collapsed, clipped to `max` characters. It is still the site's text: the
 * UI shows it as quoted site text, never in the wallet's own voice.
 */
export function siteText(text: unknown, max: number): string {
  if (typeof text !== 'string') return '';
  const clean = text
    // Format characters (bidi embeddings, overrides and isolates, LRM/RLM/ALM, zero-width
    // spaces and joiners, word joiner, invisible operators, BOM, soft hyphen …) and controls;
    // a zero-width joiner between two emoji stays (it draws 👩‍💻 as one picture).
    .replace(/[\p{Cf}\p{Cc}]/gu, (char, at: number, all: string) =>
      char === '\u200D' && joinsEmoji(all, at) ? char : ' ',
    )
    // Characters that draw nothing although they are not format characters: Hangul fillers,
    // the braille blank, variation selectors, combining grapheme joiner, Mongolian FVS.
    .replace(/[\u115F\u1160\u3164\uFFA0\u2800]/gu, '')
    .replace(/\p{Variation_Selector}|\u034F|[\u180B-\u180D]/gu, '')
    .replace(/\s+/gu, ' ')
    .trim();
  const chars = Array.from(clean);
  return chars.length > max
    ? `${chars
        .slice(0, max - 1)
        .join('')
        .trimEnd()}…`
    : clean;
}
