import { describe, expect, it } from "vitest";
import { colorEnabled, debugEnabled } from "../../src/io/terminal.js";

const tty = { isTTY: true };
const pipe = { isTTY: false };

describe("colorEnabled", () => {
  it.each([
    { stream: tty, env: {}, expected: true },
    { stream: pipe, env: {}, expected: false },
    { stream: tty, env: { NO_COLOR: "1" }, expected: false },
    { stream: tty, env: { NO_COLOR: "" }, expected: true },
    { stream: tty, env: { TERM: "dumb" }, expected: false },
    { stream: pipe, env: { FORCE_COLOR: "1" }, expected: true },
    { stream: pipe, env: { FORCE_COLOR: "" }, expected: true },
    { stream: tty, env: { FORCE_COLOR: "0" }, expected: false },
    { stream: tty, env: { FORCE_COLOR: "false" }, expected: false },
    { stream: pipe, env: { FORCE_COLOR: "1", NO_COLOR: "1" }, expected: false },
  ])("is $expected for a $stream.isTTY terminal with $env", ({ stream, env, expected }) => {
    expect(colorEnabled(stream, env)).toBe(expected);
  });
});

describe("debugEnabled", () => {
  it.each([
    { env: {}, expected: false },
    { env: { DEBUG: "" }, expected: false },
    { env: { DEBUG: "1" }, expected: true },
    { env: { DEBUG: "memory-adventure" }, expected: true },
  ])("is $expected with $env", ({ env, expected }) => {
    expect(debugEnabled(env)).toBe(expected);
  });
});
