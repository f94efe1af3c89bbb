/** Durations as --timeout takes them: `90s`, `10m`, `1h`, `1h30m`, or bare seconds (`600`). */

export class DurationSyntaxError extends Error {
  override readonly name = "DurationSyntaxError";
  constructor(readonly text: string) {
    super(`bad duration: ${text}`);
  }
}

const UNIT_SECONDS: Readonly<Record<string, number>> = { h: 3600, m: 60, s: 1 };

/** Seconds in `text`; throws DurationSyntaxError for anything else, and for zero. */
export function parseDuration(text: string): number {
  const trimmed = text.trim().toLowerCase();
  if (/^\d+$/.test(trimmed)) return positive(Number(trimmed), text);
  if (!/^(\d+h)?(\d+m)?(\d+s)?$/.test(trimmed) || trimmed === "") throw new DurationSyntaxError(text);
  let seconds = 0;
  for (const [, amount = "", unit = ""] of trimmed.matchAll(/(\d+)([hms])/g)) seconds += Number(amount) * UNIT_SECONDS[unit]!;
  return positive(seconds, text);
}

function positive(seconds: number, text: string): number {
  if (!(seconds > 0) || !Number.isSafeInteger(seconds)) throw new DurationSyntaxError(text);
  return seconds;
}

/** `75` -> "1m15s", `600` -> "10m", `3600` -> "1h". */
export function formatDuration(seconds: number): string {
  const whole = Math.max(0, Math.round(seconds));
  const hours = Math.floor(whole / 3600);
  const minutes = Math.floor((whole % 3600) / 60);
  const rest = whole % 60;
  const parts = [hours > 0 ? `${hours}h` : "", minutes > 0 ? `${minutes}m` : "", rest > 0 || whole === 0 ? `${rest}s` : ""];
  return parts.join("");
}
