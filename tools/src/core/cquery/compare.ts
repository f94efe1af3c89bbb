// Lines up what two targets return (see cquery-output.ts), section by section, the way sdiff does:
// each row holds the left and the right entry, and says whether only one side has it.
import type { OutputGroup, ProviderName, TargetReport } from "./cquery-output.js";
import { byCodeUnits } from "../text-order.js";

/**
 * same: both sides have this entry, equal; left/right: only that side has it;
 * changed: both sides have an entry under this name, but it differs (e.g. an output group with other files).
 */
export type RowKind = "same" | "left" | "right" | "changed";

export interface Cell {
  /** What the entry is called: a provider's name, an output group's name, a path. */
  readonly key: string;
  /** Providers only: the .bzl file that defines the provider; "" for built-in providers. */
  readonly origin?: string;
  /** Output groups only: how many files the group has. */
  readonly fileCount?: number;
}

export interface Row {
  readonly kind: RowKind;
  readonly left: Cell | null;
  readonly right: Cell | null;
}

export type SectionKind = "providers" | "outputGroups" | "outputGroupFiles" | "filesToBuild" | "executable" | "runfilesManifest";

export interface Section {
  readonly kind: SectionKind;
  /** The output group whose files the section lists (kind outputGroupFiles only). */
  readonly outputGroup?: string;
  readonly rows: readonly Row[];
}

export interface Comparison {
  readonly left: string;
  readonly right: string;
  readonly sections: readonly Section[];
  /** Rows whose kind is not "same". */
  readonly differences: number;
}

export function compareTargets(left: TargetReport, right: TargetReport): Comparison {
  const sections: Section[] = [
    {
      kind: "providers",
      rows: matchRows(
        left.providers.map(providerEntry),
        right.providers.map(providerEntry),
      ),
    },
    {
      kind: "outputGroups",
      rows: matchRows(
        left.outputGroups.map(outputGroupEntry),
        right.outputGroups.map(outputGroupEntry),
      ),
    },
  ];
  const groupNames = [...new Set([...left.outputGroups, ...right.outputGroups].map((group) => group.name))].sort(byCodeUnits);
  for (const name of groupNames) {
    const leftFiles = left.outputGroups.find((group) => group.name === name)?.files ?? [];
    const rightFiles = right.outputGroups.find((group) => group.name === name)?.files ?? [];
    if (leftFiles.length === 0 && rightFiles.length === 0) continue;
    sections.push({ kind: "outputGroupFiles", outputGroup: name, rows: matchRows(pathEntries(leftFiles), pathEntries(rightFiles)) });
  }
  sections.push(
    { kind: "filesToBuild", rows: matchRows(pathEntries(left.filesToBuild), pathEntries(right.filesToBuild)) },
    { kind: "executable", rows: [singleRow(left.executable, right.executable)] },
    { kind: "runfilesManifest", rows: [singleRow(left.runfilesManifest, right.runfilesManifest)] },
  );
  const differences = sections.reduce((sum, section) => sum + section.rows.filter((row) => row.kind !== "same").length, 0);
  return { left: left.label, right: right.label, sections, differences };
}

interface Entry {
  readonly cell: Cell;
  /** Entries with the same identity are the same thing on both sides. */
  readonly identity: string;
  /** When present, entries of equal identity but different content are "changed". */
  readonly content?: readonly string[];
}

function providerEntry(provider: ProviderName): Entry {
  return { cell: { key: provider.name, origin: provider.origin }, identity: `${provider.origin}%${provider.name}` };
}

function outputGroupEntry(group: OutputGroup): Entry {
  return { cell: { key: group.name, fileCount: group.files.length }, identity: group.name, content: group.files };
}

function pathEntries(paths: readonly string[]): Entry[] {
  return paths.map((path) => ({ cell: { key: path }, identity: path }));
}

/** Merges two lists into rows, sorted by key (then identity), pairing entries of equal identity. */
function matchRows(leftEntries: readonly Entry[], rightEntries: readonly Entry[]): Row[] {
  const rightByIdentity = new Map(rightEntries.map((entry) => [entry.identity, entry]));
  const leftIdentities = new Set(leftEntries.map((entry) => entry.identity));
  const rows: (Row & { readonly sortKey: readonly [string, string] })[] = [];
  for (const leftEntry of leftEntries) {
    const rightEntry = rightByIdentity.get(leftEntry.identity);
    const kind: RowKind = rightEntry === undefined ? "left" : sameContent(leftEntry, rightEntry) ? "same" : "changed";
    rows.push({ kind, left: leftEntry.cell, right: rightEntry?.cell ?? null, sortKey: [leftEntry.cell.key, leftEntry.identity] });
  }
  for (const rightEntry of rightEntries) {
    if (leftIdentities.has(rightEntry.identity)) continue;
    rows.push({ kind: "right", left: null, right: rightEntry.cell, sortKey: [rightEntry.cell.key, rightEntry.identity] });
  }
  rows.sort((a, b) => byCodeUnits(a.sortKey[0], b.sortKey[0]) || byCodeUnits(a.sortKey[1], b.sortKey[1]));
  return rows.map(({ kind, left, right }) => ({ kind, left, right }));
}

function singleRow(left: string | null, right: string | null): Row {
  const leftCell = left === null ? null : { key: left };
  const rightCell = right === null ? null : { key: right };
  if (left === right) return { kind: "same", left: leftCell, right: rightCell };
  if (right === null) return { kind: "left", left: leftCell, right: null };
  if (left === null) return { kind: "right", left: null, right: rightCell };
  return { kind: "changed", left: leftCell, right: rightCell };
}

function sameContent(left: Entry, right: Entry): boolean {
  const a = left.content ?? [];
  const b = right.content ?? [];
  return a.length === b.length && a.every((item, index) => item === b[index]);
}
