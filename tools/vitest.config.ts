// Two projects: `unit` (fast, parallel, the default of `npm test`) and `e2e` (real Bazel builds).
// End-to-end tests each start Bazel servers on a 2-core machine, so they run one file at a time with
// long timeouts, and only when asked for: `npm run test:e2e` (tools/test.sh runs both).
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    // vitest's default on two cores is one worker; the unit files spend much of their time waiting on child
    // processes (the bundle, stand-in servers), so two workers halve the suite's wall time here.
    maxWorkers: 2,
    projects: [
      {
        test: {
          name: "unit",
          include: ["test/**/*.test.ts"],
          // Generous: CLI tests spawn the bundle, render PNGs and start Chromium; on two busy cores a 5 s
          // default failed tests that pass on a quiet machine. Speed is measured by benchmarks, not here.
          testTimeout: 60_000,
          exclude: ["test/e2e/**", "**/node_modules/**"],
        },
      },
      {
        test: {
          name: "e2e",
          include: ["test/e2e/**/*.e2e.test.ts"],
          fileParallelism: false,
          testTimeout: 20 * 60_000,
          hookTimeout: 10 * 60_000,
        },
      },
    ],
  },
});
