// Wording of `--pprof FILE` (heap and diff): a heap digest written as a pprof profile (core/heap/pprof-profile.ts).

export const PPROF_OPTION_HELP = "also write the dump's heap as a gzipped pprof profile (retained bytes by Starlark function) to FILE, for go tool pprof";

export function pprofWritten(path: string, dumps: number): string {
  const what = dumps === 1 ? "heap dump" : `${dumps} heap dumps (labelled by dump)`;
  return `wrote the pprof profile of the ${what} to ${path} (go tool pprof -top ${path})\n`;
}
