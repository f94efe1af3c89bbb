// Counts as users type them on the command line (--runs, --warmup, --evidence-runs, --top): pure parsing; each
// command words its own refusal (render/).

/** A whole number ("12", blanks around it allowed); undefined for signs, fractions, words and unsafe sizes. */
export function parseCount(text: string): number | undefined {
  const trimmed = text.trim();
  const value = /^\d+$/.test(trimmed) ? Number(trimmed) : NaN;
  return Number.isSafeInteger(value) ? value : undefined;
}

/** The most holders or suspects `heap --top` and `blame --top` show. */
export const MAX_TOP = 1000;

/** A --top value: a whole number from 1 to MAX_TOP, else undefined. */
export function parseTop(text: string): number | undefined {
  const value = parseCount(text);
  return value !== undefined && value >= 1 && value <= MAX_TOP ? value : undefined;
}

/**
 * A count as people read it: 28,353,651. By hand, not toLocaleString("en-US"): that loads ICU's number formatting,
 * 7 MiB of memory, which `heap` paid at its peak (the output is written while the digest's arrays still wait for
 * the collector).
 */
export function groupDigits(count: number): string {
  const digits = String(Math.trunc(Math.abs(count)));
  let grouped = digits.slice(0, ((digits.length - 1) % 3) + 1);
  for (let at = grouped.length; at < digits.length; at += 3) grouped += `,${digits.slice(at, at + 3)}`;
  return count < 0 ? `-${grouped}` : grouped;
}
