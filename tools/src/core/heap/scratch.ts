/**
 * Memory that one phase of the heap digest is done with, handed to the next: the reader's id array once the
 * references are resolved (the depth-first search's per-object array goes there), its edge arrays once the last
 * flood over them has run. Arrays taken from it cost no new memory where the old ones had touched their
 * pages, where fresh arrays would add to the peak until the garbage collector frees the old (measured on a
 * 640 MB dump: the dominator tree and the digest's per-vertex arrays fit in the edges' pages, 60 MB less).
 */
export class ScratchPool {
  private readonly regions: { readonly words: Uint32Array; readonly touched: number; used: number }[];

  /** Each region with how many of its words (from the start) hold pages already in memory. */
  constructor(regions: readonly { readonly words: Uint32Array; readonly touched: number }[]) {
    this.regions = regions.map((region) => ({ ...region, used: 0 }));
  }

  /**
   * `length` words, contents undefined: from a region's touched pages if one has room, else from the region
   * with room whose touched pages cover the most of it (its untouched pages get mapped as they are written: the
   * first region with room could add all of `length`, 54 MB at the peak of a 1.43 GB dump), else newly allocated.
   */
  take(length: number): Uint32Array {
    const region =
      this.regions.find((candidate) => candidate.touched - candidate.used >= length) ??
      this.regions
        .filter((candidate) => candidate.words.length - candidate.used >= length)
        .reduce<(typeof this.regions)[number] | undefined>((best, candidate) => (best === undefined || candidate.touched - candidate.used > best.touched - best.used ? candidate : best), undefined);
    if (region === undefined) return new Uint32Array(length);
    const words = region.words.subarray(region.used, region.used + length);
    region.used += length;
    return words;
  }

  /** The same, as signed words. */
  takeInt32(length: number): Int32Array {
    const words = this.take(length);
    return new Int32Array(words.buffer, words.byteOffset, length);
  }

  /** `length` bytes. */
  takeBytes(length: number): Uint8Array {
    const words = this.take((length + 3) >>> 2);
    return new Uint8Array(words.buffer, words.byteOffset, length);
  }

  /** `length` signed 16-bit values. */
  takeInt16(length: number): Int16Array {
    const words = this.take((length + 1) >>> 1);
    return new Int16Array(words.buffer, words.byteOffset, length);
  }

  /** Memory its owner is done with, of which the first `touched` words hold pages in memory, for later takes. */
  give(words: Uint32Array, touched = words.length): void {
    this.regions.push({ words, touched, used: 0 });
  }
}
