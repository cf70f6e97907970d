// Amounts typed by a member: "12,34", "12.34" and "12" all mean 1234 cents. Parsed from
// the text, never through floating point, so 0.1 + 0.2 problems cannot reach a token.

export const MAX_CENTS = 99_999_99;

/** Cents from the member's text, or null when it is not a plain positive amount. */
export function parseAmount(text) {
  const m = /^\s*(\d{1,7})(?:[.,](\d{1,2}))?\s*(?:€|eur)?\s*$/i.exec(String(text ?? ''));
  if (!m) return null;
  const cents = Number(m[1]) * 100 + Number((m[2] ?? '').padEnd(2, '0'));
  return cents >= 1 && cents <= MAX_CENTS ? cents : null;
}
