/**
 * Treemap geometry: values as rectangles whose areas are in proportion, nested level by level.
 *
 * squarify is the squarified layout of Bruls, Huizing and van Wijk ("Squarified Treemaps", 2000): largest first,
 * rows laid along the shorter side of what is left, a row growing while that keeps its cells closer to square.
 * layoutTreemap nests it: each cell's children tile the part of the cell `inner` leaves them (below a header for
 * its label, say), so a parent's own label is never under its children.
 */

export interface Rect {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

export interface TreemapNode<T> {
  readonly value: number;
  readonly item: T;
  readonly children: readonly TreemapNode<T>[];
}

export interface TreemapCell<T> {
  readonly item: T;
  /** 0 for the nodes given to layoutTreemap, 1 for their children… */
  readonly depth: number;
  readonly rect: Rect;
  /** The parent's index in the cells, -1 at depth 0. */
  readonly parent: number;
  /** Its children are laid out inside it (it has some, and room for them). */
  readonly showsChildren: boolean;
}

/** Where a cell is, for deciding where its children go. */
export type PlacedNode<T> = Pick<TreemapCell<T>, "item" | "depth" | "rect">;

/**
 * Rectangles tiling `bounds`, one per value (in the values' order), each with an area in proportion to its
 * value. Values of 0 or less get an empty rectangle at the bounds' corner.
 */
export function squarify(values: readonly number[], bounds: Rect): Rect[] {
  const rects: Rect[] = values.map(() => ({ x: bounds.x, y: bounds.y, width: 0, height: 0 }));
  const order = values
    .map((value, index) => ({ value, index }))
    .filter((entry) => entry.value > 0 && Number.isFinite(entry.value))
    .sort((a, b) => b.value - a.value || a.index - b.index);
  const total = order.reduce((sum, entry) => sum + entry.value, 0);
  if (total <= 0 || bounds.width <= 0 || bounds.height <= 0) return rects;
  const scale = (bounds.width * bounds.height) / total;
  let { x, y, width, height } = bounds;
  let next = 0;
  while (next < order.length) {
    const side = Math.min(width, height);
    const row = [order[next]!.value * scale];
    let rowArea = row[0]!;
    let worst = worstRatio(row, rowArea, side);
    let end = next + 1;
    for (; end < order.length; end++) {
      const area = order[end]!.value * scale;
      const candidate = worstRatio([...row, area], rowArea + area, side);
      if (candidate > worst) break;
      row.push(area);
      rowArea += area;
      worst = candidate;
    }
    // The last row takes what is left, so rounding never leaves a sliver uncovered.
    const last = end === order.length;
    if (width >= height) {
      // A column at the left, its cells stacked from the top.
      const thickness = last ? width : Math.min(width, rowArea / height);
      let top = y;
      row.forEach((area, k) => {
        const cellHeight = k === row.length - 1 ? y + height - top : area / thickness;
        rects[order[next + k]!.index] = { x, y: top, width: thickness, height: Math.max(0, cellHeight) };
        top += cellHeight;
      });
      x += thickness;
      width -= thickness;
    } else {
      // A row at the top, its cells side by side from the left.
      const thickness = last ? height : Math.min(height, rowArea / width);
      let left = x;
      row.forEach((area, k) => {
        const cellWidth = k === row.length - 1 ? x + width - left : area / thickness;
        rects[order[next + k]!.index] = { x: left, y, width: Math.max(0, cellWidth), height: thickness };
        left += cellWidth;
      });
      y += thickness;
      height -= thickness;
    }
    next = end;
  }
  return rects;
}

/** The worst aspect ratio (≥ 1) of a row of `areas` laid along a side of length `side`. */
function worstRatio(areas: readonly number[], total: number, side: number): number {
  const largest = Math.max(...areas);
  const smallest = Math.min(...areas);
  const sideSquared = side * side;
  const totalSquared = total * total;
  return Math.max((sideSquared * largest) / totalSquared, totalSquared / (sideSquared * smallest));
}

/**
 * Every node as a cell, parents before their children. `inner` says which part of a cell its children tile
 * (undefined: the cell is too small to show them, and they are left out).
 */
export function layoutTreemap<T>(nodes: readonly TreemapNode<T>[], bounds: Rect, inner: (cell: PlacedNode<T>) => Rect | undefined): TreemapCell<T>[] {
  const cells: TreemapCell<T>[] = [];
  const place = (level: readonly TreemapNode<T>[], area: Rect, depth: number, parent: number): void => {
    const rects = squarify(
      level.map((node) => node.value),
      area,
    );
    level.forEach((node, index) => {
      const rect = rects[index]!;
      if (rect.width <= 0 || rect.height <= 0) return;
      const childArea = node.children.length === 0 ? undefined : inner({ item: node.item, depth, rect });
      const showsChildren = childArea !== undefined && childArea.width > 0 && childArea.height > 0;
      cells.push({ item: node.item, depth, rect, parent, showsChildren });
      if (showsChildren) place(node.children, childArea, depth + 1, cells.length - 1);
    });
  };
  place(nodes, bounds, 0, -1);
  return cells;
}
