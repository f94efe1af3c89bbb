/**
 * Checks that a parsed run.json is a RunRecord (run-record.ts) before anything reads it, so a broken
 * or foreign file is one clear error naming the file and the field instead of NaN rows later.
 */
import { InputError } from "../exit-codes.js";
import { type RunRecord } from "./run-record.js";
import { BUILD_MODES, PROFILE_LEVELS, RUN_STATUSES, STOP_REASONS } from "../vocabulary.js";

const STATUSES = new Set<string>(RUN_STATUSES);
const MODES = new Set<string>(BUILD_MODES);
const STOPPED_BY = new Set<string>(STOP_REASONS);

/** Returns `value` as a RunRecord or throws InputError naming `where` (the file) and the bad field. */
export function checkRunRecord(value: unknown, where: string): RunRecord {
  const fail = (what: string): never => {
    throw new InputError(`${where}: not a run record (${what}); it should be a run.json written by the sweep`);
  };
  if (typeof value !== "object" || value === null || Array.isArray(value)) return fail("not a JSON object");
  const record = value as Record<string, unknown>;
  if (record["schema"] !== 1) return fail(`schema is ${JSON.stringify(record["schema"])}, this version reads schema 1`);
  const string = (key: string): void => {
    if (typeof record[key] !== "string" || record[key] === "") fail(`"${key}" must be a non-empty string`);
  };
  const number = (key: string): void => {
    if (typeof record[key] !== "number" || !Number.isFinite(record[key])) fail(`"${key}" must be a number`);
  };
  for (const key of ["id", "limit", "bazelVersion", "startedAt", "endedAt"]) string(key);
  for (const key of ["limitBytes", "iteration", "wallSeconds"]) number(key);
  if (typeof record["warmup"] !== "boolean") fail(`"warmup" must be true or false`);
  if (!MODES.has(record["mode"] as string)) fail(`"mode" must be one of ${[...MODES].join(", ")}`);
  if (!STATUSES.has(record["status"] as string)) fail(`"status" must be one of ${[...STATUSES].join(", ")}`);
  if (record["exitCode"] !== null && typeof record["exitCode"] !== "number") fail(`"exitCode" must be a number or null`);
  if (record["signal"] !== null && typeof record["signal"] !== "string") fail(`"signal" must be a string or null`);
  if (record["stoppedBy"] !== undefined && !STOPPED_BY.has(record["stoppedBy"] as string)) {
    fail(`"stoppedBy" must be absent or one of ${[...STOPPED_BY].join(", ")}`);
  }
  if (record["profileLevel"] !== undefined && !(PROFILE_LEVELS as readonly unknown[]).includes(record["profileLevel"])) {
    fail(`"profileLevel" must be absent or one of ${PROFILE_LEVELS.join(", ")}`);
  }
  for (const key of ["threadDumpTaken", "gcPressure", "evidence"]) {
    if (record[key] !== undefined && typeof record[key] !== "boolean") fail(`"${key}" must be absent, true or false`);
  }
  const spiralDump = record["spiralHeapDump"];
  if (spiralDump !== undefined) {
    const dump = spiralDump as Record<string, unknown>;
    if (typeof spiralDump !== "object" || spiralDump === null || typeof dump["taken"] !== "boolean" || typeof dump["seconds"] !== "number" || (dump["problem"] !== undefined && typeof dump["problem"] !== "string")) {
      fail(`"spiralHeapDump" must be absent or {"taken": true|false, "seconds": a number, "problem"?: a string}`);
    }
  }
  if (!Array.isArray(record["argv"]) || !record["argv"].every((arg) => typeof arg === "string")) fail(`"argv" must be a list of strings`);
  const artifacts = record["artifacts"];
  if (typeof artifacts !== "object" || artifacts === null || Array.isArray(artifacts)) return fail(`"artifacts" must be an object`);
  for (const [key, path] of Object.entries(artifacts)) {
    if (typeof path !== "string" || path === "" || path.startsWith("/") || path.split("/").includes("..")) {
      fail(`artifact "${key}" must be a path relative to the run folder`);
    }
  }
  return value as RunRecord;
}
