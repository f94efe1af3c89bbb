/**
 * Strings in plain code-unit order: the same on every machine, where localeCompare follows the machine's
 * locale (and loads ICU's collator: 3 MiB of memory, which the heap digest paid at its peak).
 */
export function byCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
