// Look and wording of the heap picture: a digest's owners (core/heap/owner-tree.ts) as an inline SVG treemap,
// function → what holds its bytes → target, the culprit in red and every other function in muted colours, above
// it a bar of the whole reachable heap (what Starlark holds against Bazel's own structures). Plain SVG, no
// script and nothing fetched, so it works inside report.html and as a page of its own (`heap --html`).
import { workspaceRelative } from "../core/blame/source-file.js";
import type { HeapDigest } from "../core/heap/heap-digest.js";
import { ownerTree, type OwnerItem, type OwnerTree } from "../core/heap/owner-tree.js";
import { layoutTreemap, type PlacedNode, type Rect, type TreemapCell } from "../core/plot/treemap.js";
import { formatSize, percent, verdictLine } from "./heap.js";
import { escapeHtml, htmlPageHead } from "./plot.js";
import { groupDigits } from "../core/counts.js";

export const HEAP_HTML_OPTION_HELP = "also write a picture of who holds the heap (a treemap: function → provider, locals, actions → target) as one self-contained HTML page to FILE";

export function heapHtmlWritten(path: string, dumps: number): string {
  return `wrote the picture of ${dumps === 1 ? "the heap dump" : `${dumps} heap dumps`} to ${path}\n`;
}

const WIDTH = 960;
const BAR_TOP = 20;
const BAR_HEIGHT = 24;
const MAP_TOP = 76;
const MAP_HEIGHT = 470;
const HEIGHT = MAP_TOP + MAP_HEIGHT + 2;
const FONT = "DejaVu Sans, Verdana, sans-serif";
const INK = "#1b1b1b";
const MUTED_INK = "#555";
const GREY = "hsl(0, 0%, 58%)";
const BAZEL_GREY = "hsl(0, 0%, 86%)";

/**
 * Advance widths (em) of DejaVu Sans, the font the picture asks for first, for the printable ASCII characters
 * (space to ~), measured in Chromium. Verdana's are the same or narrower and most sans-serif fonts narrower
 * still, so a label that fits by these fits in them too. Anything else counts as 1 em.
 */
const REGULAR_WIDTHS = [
  0.318, 0.401, 0.46, 0.838, 0.636, 0.95, 0.78, 0.275, 0.39, 0.39, 0.5, 0.838, 0.318, 0.361, 0.318, 0.337, 0.636, 0.636, 0.636, 0.636, 0.636, 0.636, 0.636,
  0.636, 0.636, 0.636, 0.337, 0.337, 0.838, 0.838, 0.838, 0.531, 1.0, 0.684, 0.686, 0.698, 0.77, 0.632, 0.575, 0.775, 0.752, 0.295, 0.295, 0.656, 0.557,
  0.863, 0.748, 0.787, 0.603, 0.787, 0.695, 0.635, 0.611, 0.732, 0.684, 0.989, 0.685, 0.611, 0.685, 0.39, 0.337, 0.39, 0.838, 0.5, 0.5, 0.613, 0.635, 0.55,
  0.635, 0.615, 0.352, 0.635, 0.634, 0.278, 0.278, 0.579, 0.278, 0.974, 0.634, 0.612, 0.635, 0.635, 0.411, 0.521, 0.392, 0.634, 0.592, 0.818, 0.592, 0.592,
  0.525, 0.636, 0.337, 0.636, 0.838,
];
const BOLD_WIDTHS = [
  0.348, 0.456, 0.521, 0.838, 0.696, 1.002, 0.872, 0.306, 0.457, 0.457, 0.523, 0.838, 0.38, 0.415, 0.38, 0.365, 0.696, 0.696, 0.696, 0.696, 0.696, 0.696,
  0.696, 0.696, 0.696, 0.696, 0.4, 0.4, 0.838, 0.838, 0.838, 0.58, 1.0, 0.774, 0.762, 0.734, 0.83, 0.683, 0.683, 0.821, 0.837, 0.372, 0.372, 0.775, 0.637,
  0.995, 0.837, 0.85, 0.733, 0.85, 0.77, 0.72, 0.682, 0.812, 0.774, 1.103, 0.771, 0.724, 0.725, 0.457, 0.365, 0.457, 0.838, 0.5, 0.5, 0.675, 0.716, 0.593,
  0.716, 0.678, 0.435, 0.716, 0.712, 0.343, 0.343, 0.665, 0.343, 1.042, 0.712, 0.687, 0.716, 0.716, 0.493, 0.595, 0.478, 0.712, 0.652, 0.924, 0.645, 0.652,
  0.582, 0.712, 0.365, 0.712, 0.838,
];
/** Room for a font a little wider than the measured one, and for rounding. */
const WIDTH_MARGIN = 1.05;

/** The width `text` takes at `size` px (an estimate on the wide side). */
export function textWidth(text: string, size: number, bold = false): number {
  const widths = bold ? BOLD_WIDTHS : REGULAR_WIDTHS;
  let em = 0;
  for (const char of text) {
    const code = char.codePointAt(0)!;
    em += code >= 32 && code <= 126 ? widths[code - 32]! : 1;
  }
  return em * size * WIDTH_MARGIN;
}

/** A label cut shorter than this says too little to be worth showing. */
const MIN_CUT_CHARACTERS = 6;

/** The first candidate that fits `width`; else, if `cut`, the last one cut short with "…" (if enough is left). */
function fitText(candidates: readonly string[], width: number, size: number, bold: boolean, cut: boolean): string | undefined {
  for (const text of candidates) if (textWidth(text, size, bold) <= width) return text;
  const last = [...(candidates[candidates.length - 1] ?? "")];
  if (!cut) return undefined;
  for (let length = last.length - 1; length >= Math.min(MIN_CUT_CHARACTERS, last.length - 1); length--) {
    const text = `${last.slice(0, length).join("").trimEnd()}…`;
    if (textWidth(text, size, bold) <= width) return text;
  }
  return undefined;
}

/** Each top-level cell's colours: the culprit red, other functions muted hues, the rest grey. */
interface Palette {
  readonly function: string;
  readonly holder: string;
  readonly target: string;
  readonly rest: string;
  /** Text on the function's own colour. */
  readonly functionInk: string;
}

const CULPRIT: Palette = { function: "hsl(4, 68%, 42%)", holder: "hsl(4, 70%, 72%)", target: "hsl(4, 75%, 87%)", rest: "hsl(4, 35%, 91%)", functionInk: "#fff" };
const HUES = [210, 150, 40, 270, 190, 320, 95, 235, 60, 170, 290, 120];
const OTHERS: Palette = { function: GREY, holder: "hsl(0, 0%, 74%)", target: "hsl(0, 0%, 86%)", rest: "hsl(0, 0%, 92%)", functionInk: "#fff" };

function hued(hue: number): Palette {
  return { function: `hsl(${hue}, 30%, 44%)`, holder: `hsl(${hue}, 32%, 73%)`, target: `hsl(${hue}, 35%, 87%)`, rest: `hsl(${hue}, 18%, 92%)`, functionInk: "#fff" };
}

function paletteOf(item: OwnerItem, index: number): Palette {
  if (item.kind === "function") return item.culprit ? CULPRIT : hued(HUES[index % HUES.length]!);
  return OTHERS;
}

/** The heap picture of one digest, as an <svg> element; .bzl files named relative to `workspace`. */
export function heapPictureSvg(digest: HeapDigest, workspace: string | undefined): string {
  const tree = ownerTree(digest);
  const palettes = tree.roots.map((root, index) => paletteOf(root.item, index));
  const parts: string[] = [];
  parts.push(...barParts(tree, palettes, workspace));
  const area: Rect = { x: 0, y: MAP_TOP, width: WIDTH, height: MAP_HEIGHT };
  if (tree.roots.length === 0) {
    parts.push(`<rect x="0" y="${MAP_TOP}" width="${WIDTH}" height="${MAP_HEIGHT}" fill="#f6f6f6" stroke="#ddd"/>`);
    parts.push(text(WIDTH / 2, MAP_TOP + MAP_HEIGHT / 2, "No Starlark code held any of the heap in this dump.", { size: 14, fill: MUTED_INK, anchor: "middle" }));
  } else {
    const cells = layoutTreemap(tree.roots, area, innerArea);
    // Each cell's top-level ancestor, for its colours.
    const rootOf: number[] = [];
    const rootIndex = new Map(tree.roots.map((root, index) => [root.item, index]));
    for (const cell of cells) rootOf.push(cell.parent < 0 ? rootIndex.get(cell.item)! : rootOf[cell.parent]!);
    // Parents first (layoutTreemap's order), so children are drawn over their parent's background.
    cells.forEach((cell, index) => parts.push(cellParts(cell, palettes[rootOf[index]!]!, workspace)));
    const culprit = cells.find((cell) => cell.depth === 0 && cell.item.kind === "function" && cell.item.culprit);
    // The culprit's outline on top of everything, so no neighbour hides it.
    if (culprit !== undefined) parts.push(`<rect x="${n(culprit.rect.x + 1)}" y="${n(culprit.rect.y + 1)}" width="${n(culprit.rect.width - 2)}" height="${n(culprit.rect.height - 2)}" fill="none" stroke="hsl(4, 80%, 25%)" stroke-width="2"/>`);
  }
  const label = `Who held the heap: ${percent(tree.reachableBytes > 0 ? tree.starlarkBytes / tree.reachableBytes : 0)} by Starlark code, by function, holder and target`;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" class="heap-picture" role="img" aria-label="${escapeHtml(label)}" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" style="max-width: 100%; height: auto" font-family="${FONT}">`,
    ...parts,
    `</svg>`,
  ].join("\n");
}

/** The bar of the whole reachable heap: each top-level owner, then Bazel's own structures. */
function barParts(tree: OwnerTree, palettes: readonly Palette[], workspace: string | undefined): string[] {
  const parts: string[] = [];
  const reachable = tree.reachableBytes;
  const starlarkShare = reachable > 0 ? tree.starlarkBytes / reachable : 0;
  parts.push(
    text(0, 13, `Reachable heap at the dump: ${formatSize(reachable)} — Starlark code held ${percent(starlarkShare)}, Bazel's own structures ${percent(reachable > 0 ? tree.bazelBytes / reachable : 0)}`, {
      size: 12.5,
      fill: INK,
    }),
  );
  let x = 0;
  const segment = (bytes: number, fill: string, ink: string, labels: readonly string[], title: string): void => {
    const width = reachable > 0 ? (bytes / reachable) * WIDTH : 0;
    if (width <= 0) return;
    const fitted = fitText(labels, width - 8, 11, false, false);
    parts.push(
      `<g data-bar="segment"><title>${escapeHtml(title)}</title><rect x="${n(x)}" y="${BAR_TOP}" width="${n(width)}" height="${BAR_HEIGHT}" fill="${fill}" stroke="#fff" stroke-width="1"/>` +
        (fitted === undefined ? "" : text(x + 4, BAR_TOP + 16, fitted, { size: 11, fill: ink })) +
        `</g>`,
    );
    x += width;
  };
  tree.roots.forEach((root, index) => {
    const { name, title } = describe(root.item, workspace);
    segment(root.value, palettes[index]!.function, palettes[index]!.functionInk, [`${name} ${percent(root.item.share)}`, name, percent(root.item.share)], title);
  });
  segment(Math.max(0, reachable - tree.starlarkBytes), BAZEL_GREY, INK, [`Bazel's own structures ${percent(reachable > 0 ? (reachable - tree.starlarkBytes) / reachable : 0)}`, "Bazel"], `Bazel's own structures (Skyframe, packages, classes): ${formatSize(tree.bazelBytes)}, charged to no Starlark function`);
  parts.push(
    text(0, MAP_TOP - 10, `Held by Starlark code, ${formatSize(tree.starlarkBytes)}: by function, then what holds the bytes (local variables, providers, actions…), then by target`, {
      size: 12.5,
      fill: INK,
    }),
  );
  return parts;
}

/** Header heights and paddings by depth: a function's name and share (and file), a holder's line, a target's. */
const HEADER = [
  { twoLines: 40, oneLine: 23, pad: 3 },
  { twoLines: 18, oneLine: 18, pad: 2 },
  { twoLines: 0, oneLine: 0, pad: 0 },
] as const;
const FONT_SIZE = [14, 11.5, 10.5] as const;
const SECOND_LINE_SIZE = 11;

/** The part of a cell its children tile: below its header, inside its padding; undefined when too small. */
function innerArea(cell: PlacedNode<OwnerItem>): Rect | undefined {
  const header = HEADER[cell.depth];
  if (header === undefined || header.oneLine === 0) return undefined;
  const { rect } = cell;
  const top = rect.height >= 90 ? header.twoLines : header.oneLine;
  const inner = { x: rect.x + header.pad, y: rect.y + top, width: rect.width - 2 * header.pad, height: rect.height - top - header.pad };
  // Children only where there is room to see them.
  return inner.width >= 24 && inner.height >= 14 ? inner : undefined;
}

function cellParts(cell: TreemapCell<OwnerItem>, palette: Palette, workspace: string | undefined): string {
  const { rect, item, depth } = cell;
  const fill =
    depth === 0 ? palette.function : item.kind === "other-targets" || item.kind === "other-functions" || item.kind === "unknown-function" ? palette.rest : depth === 1 ? palette.holder : palette.target;
  const ink = depth === 0 && item.kind === "function" ? palette.functionInk : INK;
  const { name, title, detail: details, shorter = [] } = describe(item, workspace);
  const size = FONT_SIZE[Math.min(depth, 2)]!;
  const bold = depth === 0;
  const room = rect.width - 10;
  const labels: string[] = [];
  // Labels: the first line names the cell and its share (shortened until it fits); a second line if room.
  const firstLine =
    depth === 0
      ? [`${name}  ${percent(item.share)} of the heap · ${formatSize(item.bytes)}`, `${name}  ${percent(item.share)} · ${formatSize(item.bytes)}`, `${name}  ${percent(item.share)}`, name]
      : [`${name} · ${formatSize(item.bytes)} · ${percent(item.share)}`, `${name} · ${formatSize(item.bytes)}`, name, ...shorter];
  const lineHeight = size * 1.17;
  if (rect.height >= lineHeight + 4) {
    const fitted = fitText(firstLine, room, size, bold, true);
    if (fitted !== undefined) labels.push(text(rect.x + 5, rect.y + 3 + size * 0.93, fitted, { size, fill: ink, bold, cls: "label" }));
  }
  // The second line gives the size when the first had no room for it.
  const sized = labels.length > 0 && labels[0]!.includes(escapeHtml(formatSize(item.bytes)));
  const detail = depth === 0 || sized ? details : [...details.map((line) => `${formatSize(item.bytes)} · ${line}`), formatSize(item.bytes), ...details];
  const secondTop = rect.y + 3 + lineHeight + 2;
  const secondSize = depth === 0 ? SECOND_LINE_SIZE : size - 0.5;
  const secondRoom = depth === 0 ? (cell.showsChildren ? rect.y + (rect.height >= 90 ? HEADER[0].twoLines : HEADER[0].oneLine) : rect.y + rect.height) : rect.y + rect.height;
  if (detail.length > 0 && secondTop + secondSize * 1.17 + 1 <= secondRoom && (depth === 0 || !cell.showsChildren)) {
    const fitted = fitText(detail, room, secondSize, false, depth === 0);
    if (fitted !== undefined) labels.push(text(rect.x + 5, secondTop + secondSize * 0.93, fitted, { size: secondSize, fill: depth === 0 ? ink : MUTED_INK, cls: "detail" }));
  }
  const stroke = depth === 0 ? `stroke="#fff" stroke-width="2"` : `stroke="#fff" stroke-width="1"`;
  const culprit = item.kind === "function" && item.culprit ? ` data-culprit="true"` : "";
  return (
    `<g data-depth="${depth}" data-kind="${item.kind === "holder" ? item.holder : item.kind}"${culprit}><title>${escapeHtml(title)}</title>` +
    `<rect x="${n(rect.x)}" y="${n(rect.y)}" width="${n(rect.width)}" height="${n(rect.height)}" fill="${fill}" ${stroke}/>` +
    labels.join("") +
    `</g>`
  );
}

/**
 * A cell's name (for its label), shorter forms of it for a narrow cell, its second line's candidates, and the
 * full sentence of its tooltip.
 */
function describe(item: OwnerItem, workspace: string | undefined): { name: string; shorter?: string[]; detail: string[]; title: string } {
  const size = `${formatSize(item.bytes)}, ${percent(item.share)} of the reachable heap`;
  const objects = "objects" in item && item.objects !== undefined ? `, ${groupDigits(item.objects)} objects` : "";
  switch (item.kind) {
    case "function": {
      const file = workspaceRelative(item.function.file, workspace);
      const where = file === undefined ? "" : ` (${file})`;
      const role = item.culprit ? "the culprit" : undefined;
      const detail = [[role, file, objects === "" ? undefined : objects.slice(2)], [role, file], [role ?? file]].map((words) => words.filter((word) => word !== undefined).join(" · ")).filter((line) => line !== "");
      return { name: item.function.function, detail, title: `${item.function.function}${where}${item.culprit ? ", the culprit" : ""}: ${size}${objects}` };
    }
    case "other-functions":
      return { name: `${item.count} other function${item.count === 1 ? "" : "s"}`, detail: [], title: `${item.count} other Starlark function${item.count === 1 ? "" : "s"}, each too small to draw: ${size}` };
    case "unknown-function":
      return { name: "function not known", detail: [], title: `Starlark holders whose function the dump does not say (a native rule's targets, say): ${size}` };
    case "holder": {
      const fn = item.function.function;
      switch (item.holder) {
        case "frame-locals":
          return { name: "local variables", detail: item.thread === undefined ? [] : [`on ${item.thread}`], title: `local variables of ${fn}'s calls in flight${item.thread === undefined ? "" : ` on ${item.thread}`}: ${size}${objects}` };
        case "in-flight":
          return { name: "work in progress", detail: item.thread === undefined ? [] : [`a builtin's, on ${item.thread}`], title: `a builtin's work in progress in a call from ${fn}${item.thread === undefined ? "" : ` on ${item.thread}`}: ${size}${objects}` };
        case "provider": {
          const targets = item.targets === undefined ? "" : ` on ${item.targets} target${item.targets === 1 ? "" : "s"}`;
          return { name: item.provider ?? "provider", detail: targets === "" ? [] : [targets.trim()], title: `${item.provider ?? "providers"} returned by ${fn}${targets}: ${size}${objects}` };
        }
        case "action": {
          const count = item.actions === undefined ? "actions" : `${item.actions} action${item.actions === 1 ? "" : "s"}`;
          return { name: count, detail: [], title: `${count} registered by ${fn}: ${size}${objects}` };
        }
        case "analysis":
          return { name: "other analysis data", detail: [], title: `other analysis data of ${fn}'s targets: ${size}${objects}` };
        case "shared":
          return { name: "shared by its holders", detail: [], title: `objects only ${fn}'s holders share: ${size}${objects}` };
      }
      break;
    }
    case "target":
      return { name: item.label, shorter: shorterLabels(item.label), detail: [], title: `${item.label}: ${size}${objects}` };
    case "other-targets":
      return { name: item.count > 0 ? `${item.count} other target${item.count === 1 ? "" : "s"}` : "no target", detail: [], title: `${item.count > 0 ? `${item.count} other targets` : "held by no target"}: ${size}` };
  }
  return { name: "?", detail: [], title: size };
}

/** "//cpu/tree/trunk:n10_1" → "…trunk:n10_1", ":n10_1": the target's own name is what tells targets apart. */
function shorterLabels(label: string): string[] {
  const slash = label.lastIndexOf("/");
  const colon = label.lastIndexOf(":");
  const forms = [slash > 1 ? `…${label.slice(slash + 1)}` : undefined, colon > 0 ? label.slice(colon) : undefined];
  return forms.filter((form): form is string => form !== undefined && form !== label && form.length > 1);
}

interface TextStyle {
  readonly size: number;
  readonly fill: string;
  readonly bold?: boolean;
  readonly anchor?: "start" | "middle";
  readonly cls?: string;
}

function text(x: number, y: number, content: string, style: TextStyle): string {
  const attributes = [
    `x="${n(x)}"`,
    `y="${n(y)}"`,
    `font-size="${style.size}"`,
    `fill="${style.fill}"`,
    ...(style.bold === true ? [`font-weight="bold"`] : []),
    ...(style.anchor === "middle" ? [`text-anchor="middle"`] : []),
    ...(style.cls === undefined ? [] : [`class="${style.cls}"`]),
  ];
  return `<text ${attributes.join(" ")}>${escapeHtml(content)}</text>`;
}

/** Coordinates with one decimal: enough on screen, and the markup stays small. */
function n(value: number): string {
  return String(Math.round(value * 10) / 10);
}

const PAGE_STYLE = `
body { font-family: "DejaVu Sans", Verdana, sans-serif; margin: 1.5rem 2rem; color: #222; max-width: 1000px; }
h1 { font-size: 1.4rem; } h2 { font-size: 1.1rem; margin-top: 2rem; word-break: break-all; }
figure { margin: 0.5rem 0 1.5rem; }
.verdict { font-size: 1rem; }
.muted { color: #666; font-size: 0.85rem; }
`;

/** A page of its own with the picture of each dump (`heap --html FILE`). */
export function heapPicturePage(dumps: readonly { readonly source: string; readonly digest: HeapDigest }[], workspace: string | undefined): string {
  const title = dumps.length === 1 ? `Who held the heap: ${dumps[0]!.source}` : `Who held the heap: ${dumps.length} heap dumps`;
  const sections = dumps.map(
    ({ source, digest }) =>
      `<section>\n<h2>${escapeHtml(source)}</h2>\n<p class="verdict">${escapeHtml(verdictLine(digest.verdict, workspace).replace(/^verdict: /, "Verdict: "))}</p>\n<figure>\n${heapPictureSvg(digest, workspace)}\n</figure>\n</section>`,
  );
  return `${htmlPageHead(title, PAGE_STYLE)}<body>
<h1>Who held the heap</h1>
<p class="muted">${escapeHtml(PICTURE_NOTE)}</p>
${sections.join("\n")}
</body>
</html>
`;
}

/** How to read the picture, under it in the report and atop the page. */
export const PICTURE_NOTE =
  "Each rectangle's area is the memory it retains (Eclipse MAT's retained size, from the heap dump). The bar is the whole reachable heap; " +
  "below it, what Starlark code held: each function's rectangle holds what keeps its bytes alive (its local variables, the providers it returned, " +
  "its actions…), and those the targets holding most. The culprit is red. Point at a rectangle for its numbers.";
