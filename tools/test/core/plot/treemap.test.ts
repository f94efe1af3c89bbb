// The treemap layout: areas in proportion to values, tiling their bounds with no overlap, cells closer to square
// than slicing gives, and children inside the part of their parent `inner` leaves them.
import { describe, expect, it } from "vitest";
import { layoutTreemap, squarify, type Rect, type TreemapNode } from "../../../src/core/plot/treemap.js";
import { random } from "../../helpers/random.js";

const area = (rect: Rect): number => rect.width * rect.height;
const aspect = (rect: Rect): number => Math.max(rect.width / rect.height, rect.height / rect.width);

function overlap(a: Rect, b: Rect): number {
  const width = Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x);
  const height = Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y);
  return width > 0 && height > 0 ? width * height : 0;
}

function inside(inner: Rect, outer: Rect, slack = 1e-6): boolean {
  return inner.x >= outer.x - slack && inner.y >= outer.y - slack && inner.x + inner.width <= outer.x + outer.width + slack && inner.y + inner.height <= outer.y + outer.height + slack;
}

const bounds: Rect = { x: 10, y: 20, width: 600, height: 400 };

describe("squarify", () => {
  it("gives Bruls et al.'s example its squarified rows", () => {
    // The paper's example: 6, 6, 4, 3, 2, 2, 1 in a 6 × 4 rectangle.
    const rects = squarify([6, 6, 4, 3, 2, 2, 1], { x: 0, y: 0, width: 6, height: 4 });
    const rounded = rects.map((rect) => [rect.x, rect.y, rect.width, rect.height].map((value) => Math.round(value * 1000) / 1000));
    expect(rounded.slice(0, 2)).toEqual([
      [0, 0, 3, 2],
      [0, 2, 3, 2],
    ]);
    // …then, in the 3 × 4 left, the 4 and the 3 side by side along its top.
    expect(rounded.slice(2, 4)).toEqual([
      [3, 0, 1.714, 2.333],
      [4.714, 0, 1.286, 2.333],
    ]);
    expect(rects.every((rect, index) => Math.abs(area(rect) - [6, 6, 4, 3, 2, 2, 1][index]!) < 1e-9)).toBe(true);
  });

  it.each([1, 2, 3, 4, 5])("tiles its bounds with areas in proportion to the values, none overlapping (seed %i)", (seed) => {
    const next = random(seed);
    const values = Array.from({ length: 3 + Math.floor(next() * 40) }, () => (next() < 0.3 ? next() * 1000 : next() * 10));
    const rects = squarify(values, bounds);
    const total = values.reduce((sum, value) => sum + value, 0);
    rects.forEach((rect, index) => {
      expect(area(rect)).toBeCloseTo((values[index]! / total) * area(bounds), 6);
      expect(inside(rect, bounds)).toBe(true);
    });
    for (let i = 0; i < rects.length; i++) for (let j = i + 1; j < rects.length; j++) expect(overlap(rects[i]!, rects[j]!)).toBeLessThan(1e-6);
    expect(rects.reduce((sum, rect) => sum + area(rect), 0)).toBeCloseTo(area(bounds), 6);
  });

  it("keeps cells closer to square than slicing the bounds into strips", () => {
    const values = Array.from({ length: 30 }, (_, index) => 30 - index);
    const worst = Math.max(...squarify(values, bounds).map(aspect));
    const total = values.reduce((sum, value) => sum + value, 0);
    const strips = Math.max(...values.map((value) => aspect({ x: 0, y: 0, width: (value / total) * bounds.width, height: bounds.height })));
    expect(worst).toBeLessThan(4);
    expect(worst).toBeLessThan(strips / 10);
  });

  it("puts the largest value first, at the top left", () => {
    const rects = squarify([1, 50, 3], bounds);
    expect(rects[1]).toMatchObject({ x: bounds.x, y: bounds.y });
    expect(area(rects[1]!)).toBeGreaterThan(area(rects[0]!) + area(rects[2]!));
  });

  it("gives nothing to values of 0 or less, and nothing at all in empty bounds", () => {
    expect(squarify([0, -1, 5], bounds).map(area)).toEqual([0, 0, area(bounds)]);
    expect(squarify([1, 2], { x: 0, y: 0, width: 0, height: 10 }).map(area)).toEqual([0, 0]);
  });
});

describe("layoutTreemap", () => {
  const leaf = (value: number, item: string): TreemapNode<string> => ({ value, item, children: [] });
  const tree: TreemapNode<string>[] = [
    { value: 60, item: "a", children: [leaf(40, "a1"), leaf(20, "a2")] },
    { value: 30, item: "b", children: [leaf(30, "b1")] },
    { value: 10, item: "c", children: [leaf(10, "tiny")] },
  ];
  const header = 16;
  // Children below a header, except in cells too small to show them.
  const small = 30_000;
  const inner = (cell: { rect: Rect }): Rect | undefined =>
    area(cell.rect) < small ? undefined : { x: cell.rect.x + 2, y: cell.rect.y + header, width: cell.rect.width - 4, height: cell.rect.height - header - 2 };

  it("nests each cell's children in the part of it left to them, parents first", () => {
    const cells = layoutTreemap(tree, bounds, inner);
    expect(cells.map((cell) => [cell.item, cell.depth])).toEqual([
      ["a", 0],
      ["a1", 1],
      ["a2", 1],
      ["b", 0],
      ["b1", 1],
      ["c", 0],
    ]);
    for (const cell of cells.filter((entry) => entry.parent >= 0)) {
      const parent = cells[cell.parent]!;
      expect(inside(cell.rect, inner(parent)!)).toBe(true);
      expect(parent.showsChildren).toBe(true);
    }
    const a = cells.find((cell) => cell.item === "a")!;
    const [a1, a2] = ["a1", "a2"].map((item) => cells.find((cell) => cell.item === item)!);
    expect(area(a1!.rect) / area(a2!.rect)).toBeCloseTo(2, 6);
    expect(area(a.rect) / area(bounds)).toBeCloseTo(0.6, 6);
  });

  it("leaves out the children of a cell with no room for them, and says so", () => {
    const cells = layoutTreemap(tree, bounds, inner);
    const c = cells.find((cell) => cell.item === "c")!;
    expect(area(c.rect)).toBeLessThan(small);
    expect(c.showsChildren).toBe(false);
    expect(cells.some((cell) => cell.item === "tiny")).toBe(false);
  });
});
