// `heap --max-memory` on a real Bazel dump, from the built bundle: a limit that leaves the search's cross edges too
// little room (the digest before cross-edges.ts refused it), and one that leaves the tree's columns too little room
// as well, give the same digest, that state in the file beside the dump; a limit below what the rest needs is
// refused, naming that need, with nothing on stdout. A state file whose disk fills says how much the digest needs
// there in all.
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { readFileSync } from "node:fs";
import { afterAll, describe, expect, it } from "vitest";
import { countHolders, holderKinds } from "../../src/core/heap/digest-holders.js";
import { rootHolders } from "../../src/core/heap/digest-stacks.js";
import { searchHeap } from "../../src/core/heap/dominators.js";
import { HeapView } from "../../src/core/heap/heap-view.js";
import { bytesSource, readHeap } from "../../src/core/heap/hprof.js";
import { digestPeakBytes } from "../../src/core/heap/memory-budget.js";
import { runProcess } from "../helpers/bazel.js";
import { BUNDLE_PATH, cliEnvironment, runCli } from "../helpers/cli.js";
import { CountingSpill } from "../helpers/counting-spill.js";
import { digestHeap } from "../../src/core/heap/heap-digest.js";
import { FIXTURES_DIR } from "../helpers/fixtures.js";

const folder = mkdtempSync(join(tmpdir(), "heap-memory-"));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

describe("heap --max-memory on the 4.2.3 list-lattice dump", () => {
  const bytes = new Uint8Array(gunzipSync(readFileSync(join(FIXTURES_DIR, "bazel-4.2.3", "heap-dump", "list-lattice.hprof.gz"))));
  const dump = join(folder, "list-lattice.hprof");
  writeFileSync(dump, bytes);
  // The table's needs, from the counts the CLI's digest will have: with the cross edges and the tree's columns on
  // disk, with the cross edges only, and with neither.
  const heap = readHeap(bytesSource(bytes));
  const holders = countHolders(heap, holderKinds(heap, new HeapView(heap, bytesSource(bytes))));
  const search = searchHeap({ ...heap, rootHolders: rootHolders(heap) }, heap.scratch);
  const allOnDisk = digestPeakBytes({ ...heap.counts, vertices: search.vertexCount, crossEdges: 0, holders, treeOnDisk: true });
  const onDisk = digestPeakBytes({ ...heap.counts, vertices: search.vertexCount, crossEdges: 0, holders });
  const inMemory = digestPeakBytes({ ...heap.counts, vertices: search.vertexCount, crossEdges: search.crossEdgeCount, holders });

  it("digests it with its cross edges on disk at a limit below what they need in memory, the same digest", async () => {
    expect(inMemory - onDisk).toBe(8 * search.crossEdgeCount);
    expect(search.crossEdgeCount).toBeGreaterThan(1000);
    const free = await runCli(["heap", dump]);
    const limited = await runCli(["heap", dump, "--max-memory", String(onDisk)]);
    expect(free.exitCode).toBe(0);
    expect([limited.exitCode, limited.stderr]).toEqual([0, ""]);
    expect(limited.stdout).toBe(free.stdout);
  });

  it("digests it with its tree's columns on disk too at a limit below what they need in memory, the same digest", async () => {
    expect(allOnDisk).toBeLessThan(onDisk);
    const free = await runCli(["heap", dump]);
    const limited = await runCli(["heap", dump, "--max-memory", String(allOnDisk)]);
    expect([limited.exitCode, limited.stderr]).toEqual([0, ""]);
    expect(limited.stdout).toBe(free.stdout);
  });

  it("refuses it one byte below what it needs with them on disk, saying that need", async () => {
    const refused = await runCli(["heap", dump, "--max-memory", String(allOnDisk - 1)]);
    expect(refused.exitCode).toBe(2);
    expect(refused.stdout).toBe("");
    expect(refused.stderr).toMatch(new RegExp(`^memory-adventure: .*list-lattice\\.hprof: digesting this dump needs about ${(Math.ceil((allOnDisk / 2 ** 20) * 10) / 10).toFixed(1)} MiB of memory \\(`));
  });

  it("names the whole state's need when its disk fills while the cross edges go there", async () => {
    // What the digest writes to its state at this limit: after the pass, and in all (measured in this process).
    const spill = new CountingSpill();
    const limited = readHeap(bytesSource(bytes), { spill, memoryLimitBytes: onDisk });
    const afterPass = spill.written;
    digestHeap(limited, bytesSource(bytes), { top: 5, memoryLimitBytes: onDisk });
    const total = spill.written;
    expect(total - afterPass).toBeGreaterThan(16 * 1000);
    // A file size limit (bash's ulimit -f, in KiB) halfway between: the cross edges' writes fail (EFBIG), as a
    // full disk fails them (ENOSPC).
    const state = join(folder, "small-state");
    mkdirSync(state);
    const kib = Math.floor((afterPass + total) / 2 / 1024);
    const result = await runProcess("bash", ["-c", `ulimit -f ${kib} && exec "$0" "$@"`, process.execPath, BUNDLE_PATH, "heap", dump, "--max-memory", String(onDisk), "--state-dir", state], {
      env: cliEnvironment({}),
    });
    expect([result.exitCode, result.stdout]).toEqual([2, ""]);
    const said = /^memory-adventure: no room in .*\/small-state for the heap digest's state: it needs up to (\d+\.\d) MiB there, (\d+\.\d) MiB of it written when the disk filled \(EFBIG\): free some there, or name a folder with room with --state-dir\n$/.exec(result.stderr);
    expect(said, result.stderr).not.toBeNull();
    const [needed, written] = [Number(said![1]) * 2 ** 20, Number(said![2]) * 2 ** 20];
    // At least what the digest really writes; at most its bound: 16 bytes for each reference and root, and 8 for
    // each object with references (the tree's columns, before the search counts the vertices).
    expect(needed).toBeGreaterThanOrEqual(total);
    expect(needed).toBeLessThanOrEqual(afterPass + 16 * (heap.counts.edges + heap.roots.length) + 8 * heap.counts.vertices + 2 ** 20);
    expect(written).toBeGreaterThanOrEqual(afterPass - 2 ** 20 / 10);
    expect(written).toBeLessThanOrEqual(kib * 1024 + 2 ** 20 / 10);
    expect(readdirSync(state)).toEqual([]);
  });
});
