// Reads the text that analysis/output_groups.cquery prints: one block per configured target,
//
//   //cpu:lock_1
//     providers (3)
//       FileProvider
//       TraverseInfo        //memory/private:traverse.bzl
//     output groups (1)
//       _hidden_top_level_INTERNAL_  1 file
//         bazel-out/k8-fastbuild/bin/cpu/lock_1.out.txt
//     files to build (1)
//       bazel-out/k8-fastbuild/bin/cpu/lock_1.out.txt
//     executable         (none)
//     runfiles manifest  (none)
//
// followed by an empty line. The counts in parentheses are checked, so cut-off output is refused.
import { InputError } from "../exit-codes.js";

/** A provider as providers(target) names it: Starlark-defined ones come with the file that defines them. */
export interface ProviderName {
  readonly name: string;
  /** The label of the .bzl file defining the provider, e.g. "//memory/private:traverse.bzl"; "" for built-in ones. */
  readonly origin: string;
}

export interface OutputGroup {
  readonly name: string;
  /** Paths relative to the execution root, sorted. */
  readonly files: readonly string[];
}

/** What one configured target returns, as output_groups.cquery prints it. */
export interface TargetReport {
  readonly label: string;
  readonly providers: readonly ProviderName[];
  readonly outputGroups: readonly OutputGroup[];
  readonly filesToBuild: readonly string[];
  /** null when the target is not executable. */
  readonly executable: string | null;
  readonly runfilesManifest: string | null;
}

const NONE = "(none)";

/** Thrown for text that output_groups.cquery cannot have printed; `line` is 1-based. */
export class CqueryOutputError extends InputError {
  constructor(
    readonly line: number,
    readonly problem: string,
  ) {
    super(`line ${line}: ${problem}`);
  }
}

/** Parses the whole output of output_groups.cquery (any number of blocks). */
export function parseOutputGroupsText(text: string): TargetReport[] {
  const lines = text.split("\n");
  const reports: TargetReport[] = [];
  let index = 0;
  const skipEmpty = () => {
    while (index < lines.length && lines[index] === "") index += 1;
  };
  skipEmpty();
  while (index < lines.length) {
    const block = new BlockReader(lines, index);
    reports.push(block.read());
    index = block.next;
    skipEmpty();
  }
  return reports;
}

class BlockReader {
  next: number;

  constructor(
    private readonly lines: readonly string[],
    start: number,
  ) {
    this.next = start;
  }

  read(): TargetReport {
    const label = this.take(/^(\S+)$/, "a target label at the start of a line")[1]!;
    const providers = this.list("providers", (entry) => parseProvider(entry, this.next));
    const outputGroups = this.outputGroups();
    const filesToBuild = this.list("files to build", (entry) => entry);
    const executable = optionalPath(this.take(/^  executable {2,}(\S.*)$/, "the executable line")[1]!);
    const runfilesManifest = optionalPath(this.take(/^  runfiles manifest {2,}(\S.*)$/, "the runfiles manifest line")[1]!);
    return { label, providers, outputGroups, filesToBuild, executable, runfilesManifest };
  }

  private outputGroups(): OutputGroup[] {
    const count = this.heading("output groups");
    const groups: OutputGroup[] = [];
    for (let group = 0; group < count; group += 1) {
      const [, name, fileCount] = this.take(/^ {4}(\S+) {2,}(\d+) files?$/, `output group ${group + 1} of ${count}`);
      const files: string[] = [];
      for (let file = 0; file < Number(fileCount); file += 1) {
        files.push(this.take(/^ {6}(\S.*)$/, `file ${file + 1} of ${fileCount} in output group ${name}`)[1]!);
      }
      groups.push({ name: name!, files });
    }
    return groups;
  }

  /** The heading "  <title> (N)", then N entries indented by four spaces, each turned into an item by `parse`. */
  private list<T>(title: string, parse: (entry: string) => T): T[] {
    const count = this.heading(title);
    const items: T[] = [];
    for (let item = 0; item < count; item += 1) {
      items.push(parse(this.take(/^ {4}(\S.*)$/, `entry ${item + 1} of ${count} under "${title}"`)[1]!));
    }
    return items;
  }

  /** Reads the heading "  <title> (N)" (title: letters and spaces) and returns N. */
  private heading(title: string): number {
    return Number(this.take(new RegExp(`^  ${title} \\((\\d+)\\)$`), `"${title} (N)"`)[1]);
  }

  private take(pattern: RegExp, expected: string): RegExpMatchArray {
    const line = this.lines[this.next];
    const match = line === undefined ? null : pattern.exec(line);
    if (!match) {
      const found = line === undefined ? "the end of the output" : line === "" ? "an empty line" : JSON.stringify(line);
      throw new CqueryOutputError(this.next + 1, `expected ${expected}, found ${found}`);
    }
    this.next += 1;
    return match;
  }
}

function parseProvider(text: string, lineIndex: number): ProviderName {
  const match = /^(\S+)(?: {2,}(\S+))?$/.exec(text);
  if (!match) throw new CqueryOutputError(lineIndex, `expected a provider name, optionally followed by its .bzl file, found ${JSON.stringify(text)}`);
  return { name: match[1]!, origin: match[2] ?? "" };
}

function optionalPath(text: string): string | null {
  return text === NONE ? null : text;
}
