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
