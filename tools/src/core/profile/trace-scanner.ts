/**
 * Incremental scanner for JSON trace profiles (Chrome "Trace Event Format", as Bazel writes it):
 * `{"otherData":{…},"traceEvents":[{…},{…},…]}` or the bare-array form `[{…},…]`.
 *
 * Fed text in chunks of any size, it hands every complete event to a callback and keeps only the
 * unfinished tail, so memory stays constant however big the profile is. When the text stops early
 * (a crashed build cuts its profile anywhere: mid-event, before `]}`, or before anything at all),
 * `finish()` reports what was recovered and that the profile was truncated instead of failing.
 * Text that is not a trace (not JSON, or JSON without `traceEvents`) throws TraceSyntaxError.
 *
 * Why hand-written: a streaming JSON library tokenises every character in JavaScript (not measured
 * here; the per-event JSON.parse below, already native, is 1.7× slower than batching), and
 * JSON.parse alone needs the whole document, which neither fits a 1 GB profile (V8 strings
 * stop at 512 MiB) nor survives truncation. So this scanner only finds where events end and hands V8
 * whole runs of complete events at once: `JSON.parse("[" + complete events + "]")` per chunk.
 * Measured (tools/bench/profile-reader.ts, 2-core VM) on 1 GiB of JSON made by repeating the real
 * 4.2.3 fixture's events (9.4 M events): `zcat > /dev/null` 2.9 s; Node's gunzip alone 0.85 s, plus
 * UTF-8 decoding 2.0 s; plus this scanner, one JSON.parse per chunk, 8.2 s (2.8× zcat); the same with
 * one JSON.parse per event 14.3 s (4.9×). What remains is V8 building the event objects, which every
 * consumer needs. Peak RSS stays at ~120 MB whatever the size.
 */

/** One trace event as JSON.parse returns it; see trace-events.ts for the typed view. */
export type RawTraceEvent = Readonly<Record<string, unknown>>;

/** The text is not a JSON trace profile; `offset` is the character offset where that became clear. */
export class TraceSyntaxError extends Error {
  override readonly name = "TraceSyntaxError";
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(message);
  }
}

export interface TraceScanResult {
  /** Complete events handed to the callback. */
  readonly events: number;
  /** The text ended before the trace was complete (a crashed or killed build). */
  readonly truncated: boolean;
  /** The top-level `otherData` object when present and complete (Bazel: build_id, output_base, date). */
  readonly otherData: Readonly<Record<string, unknown>> | undefined;
}

/**
 * A single event (or top-level value) longer than this is not from Bazel (its events are a few hundred
 * characters): stop before memory grows, and before re-joining a growing partial value costs much.
 */
export const MAX_VALUE_CHARS = 16 * 1024 * 1024;

// Scanner states: where in the document the next character belongs.
const BEFORE_DOCUMENT = 0;
const OBJECT_KEY = 1; // after `{` or `,` in the top-level object
const OBJECT_COLON = 2;
const OBJECT_VALUE = 3; // a top-level value other than traceEvents
const OBJECT_AFTER_VALUE = 4; // expecting `,` or `}`
const EVENTS_ARRAY_OPEN = 5; // after `"traceEvents":`, expecting `[`
const EVENT = 6; // after `[` or `,` in the events array: an event or `]`
const EVENT_AFTER = 7; // expecting `,` or `]`
const AFTER_DOCUMENT = 8;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const COMMA = 0x2c;
const COLON = 0x3a;
const BYTE_ORDER_MARK = 0xfeff;

/** Keys that a trace's top-level object may have before traceEvents (so a cut there is still a trace). */
const TRACE_HEADER_KEYS = new Set(["otherData", "displayTimeUnit", "metadata"]);

/** How many `}` positions, from the end of the text, are tried as the end of a batch before scanning. */
const BATCH_END_CANDIDATES = 4;

export class TraceScanner {
  private text = "";
  private pos = 0;
  /** Characters dropped from the front of `text` so far, for error offsets. */
  private consumed = 0;
  private state = BEFORE_DOCUMENT;
  private bareArray = false;
  private events = 0;
  private sawTraceEvents = false;
  private sawForeignKey = false;
  private currentKey = "";
  private otherData: Record<string, unknown> | undefined;
  // Resumable scan of one value (event or top-level value) across chunks.
  private valueStart = -1;
  private valueScanPos = 0;
  private valueDepth = 0;

  constructor(private readonly onEvent: (event: RawTraceEvent) => void) {}

  /** Scans the next piece of text. Throws TraceSyntaxError when the text cannot be a trace. */
  push(chunk: string): void {
    if (chunk.length === 0) return;
    if (this.pos > 0) {
      const shift = this.valueStart >= 0 ? Math.min(this.pos, this.valueStart) : this.pos;
      this.text = this.text.slice(shift);
      this.consumed += shift;
      this.pos -= shift;
      if (this.valueStart >= 0) {
        this.valueStart -= shift;
        this.valueScanPos -= shift;
      }
    }
    this.text = this.text.length === 0 ? chunk : this.text + chunk;
    this.scan(false);
  }

  /** Ends the input: scans what is left and says whether the trace was complete. */
  finish(): TraceScanResult {
    this.scan(true);
    const complete = this.state === AFTER_DOCUMENT;
    if (!complete && !this.sawTraceEvents && !this.bareArray && this.sawForeignKey) {
      throw this.error("no traceEvents array before the end of the text");
    }
    return { events: this.events, truncated: !complete, otherData: this.otherData };
  }

  private error(message: string, at = this.pos): TraceSyntaxError {
    return new TraceSyntaxError(message, this.consumed + at);
  }

  private scan(atEnd: boolean): void {
    const text = this.text;
    for (;;) {
      if (this.state === EVENT && this.valueStart < 0) this.parseBatch();
      const pos = skipWhitespace(text, this.pos);
      this.pos = pos;
      if (pos >= text.length && this.valueStart < 0) return;
      const c = text.charCodeAt(pos);
      switch (this.state) {
        case BEFORE_DOCUMENT:
          if (c === BYTE_ORDER_MARK) {
            this.pos++;
          } else if (c === OPEN_BRACE) {
            this.state = OBJECT_KEY;
            this.pos++;
          } else if (c === OPEN_BRACKET) {
            this.bareArray = true;
            this.sawTraceEvents = true;
            this.state = EVENT;
            this.pos++;
          } else {
            throw this.error(`not JSON: it starts with ${describeChar(text, pos)}`);
          }
          break;
        case OBJECT_KEY: {
          if (c === CLOSE_BRACE) {
            this.endDocument();
            break;
          }
          if (c !== QUOTE) throw this.error(`expected a key in the top-level object, found ${describeChar(text, pos)}`);
          const end = findStringEnd(text, pos + 1);
          if (end < 0) {
            if (atEnd) return;
            this.failIfTooLong(text.length - pos);
            return;
          }
          this.currentKey = parseJson(text.slice(pos, end + 1), this.consumed + pos) as string;
          if (this.currentKey !== "traceEvents" && !TRACE_HEADER_KEYS.has(this.currentKey)) this.sawForeignKey = true;
          this.pos = end + 1;
          this.state = OBJECT_COLON;
          break;
        }
        case OBJECT_COLON:
          if (c !== COLON) throw this.error(`expected ':' after "${this.currentKey}", found ${describeChar(text, pos)}`);
          this.pos++;
          this.state = this.currentKey === "traceEvents" ? EVENTS_ARRAY_OPEN : OBJECT_VALUE;
          break;
        case EVENTS_ARRAY_OPEN:
          if (c !== OPEN_BRACKET) throw this.error(`traceEvents is not an array (found ${describeChar(text, pos)})`);
          this.sawTraceEvents = true;
          this.pos++;
          this.state = EVENT;
          break;
        case OBJECT_VALUE: {
          const end = this.scanValue(atEnd);
          if (end < 0) return;
          if (this.currentKey === "otherData") {
            const value = parseJson(text.slice(this.valueStart, end), this.consumed + this.valueStart);
            if (isPlainObject(value)) this.otherData = value;
          }
          this.valueStart = -1;
          this.pos = end;
          this.state = OBJECT_AFTER_VALUE;
          break;
        }
        case OBJECT_AFTER_VALUE:
          if (c === COMMA) {
            this.state = OBJECT_KEY;
            this.pos++;
          } else if (c === CLOSE_BRACE) {
            this.endDocument();
          } else {
            throw this.error(`expected ',' or '}' in the top-level object, found ${describeChar(text, pos)}`);
          }
          break;
        case EVENT: {
          if (this.valueStart < 0) {
            if (c === CLOSE_BRACKET) {
              this.pos++;
              if (this.bareArray) this.endDocument();
              else this.state = OBJECT_AFTER_VALUE;
              break;
            }
            if (c !== OPEN_BRACE) throw this.error(`expected an event object in traceEvents, found ${describeChar(text, pos)}`);
          }
          const end = this.scanValue(atEnd);
          if (end < 0) return;
          this.emit(parseJson(text.slice(this.valueStart, end), this.consumed + this.valueStart), this.valueStart);
          this.valueStart = -1;
          this.pos = end;
          this.state = EVENT_AFTER;
          break;
        }
        case EVENT_AFTER:
          if (c === COMMA) {
            this.state = EVENT;
            this.pos++;
          } else if (c === CLOSE_BRACKET) {
            this.pos++;
            if (this.bareArray) this.endDocument();
            else this.state = OBJECT_AFTER_VALUE;
          } else {
            throw this.error(`expected ',' or ']' after an event, found ${describeChar(text, pos)}`);
          }
          break;
        case AFTER_DOCUMENT:
          throw this.error(`unexpected ${describeChar(text, pos)} after the end of the trace`);
      }
    }
  }

  private endDocument(): void {
    this.pos++;
    if (!this.sawTraceEvents) throw this.error("JSON without a traceEvents array");
    this.state = AFTER_DOCUMENT;
  }

  /**
   * The fast path: at the start of an event, parse every complete event in the rest of the text
   * with one JSON.parse. A `}` ends the batch only if `[` + text up to it + `]` parses, which
   * (JSON being read left to right) means it closes an event; a few candidates are tried from the
   * end, then the character scan in `scan` takes over for this chunk.
   */
  private parseBatch(): void {
    const text = this.text;
    const start = skipWhitespace(text, this.pos);
    if (text.charCodeAt(start) !== OPEN_BRACE) return;
    let end = text.lastIndexOf("}");
    for (let tries = 0; tries < BATCH_END_CANDIDATES && end > start; tries++) {
      if (!mayEndEvent(text, end)) {
        end = text.lastIndexOf("}", end - 1);
        continue;
      }
      let batch: unknown;
      try {
        batch = JSON.parse("[" + text.slice(start, end + 1) + "]");
      } catch {
        end = text.lastIndexOf("}", end - 1);
        continue;
      }
      const events = batch as unknown[];
      for (const event of events) this.emit(event, start);
      this.pos = end + 1;
      this.state = EVENT_AFTER;
      return;
    }
  }

  private emit(event: unknown, at: number): void {
    if (!isPlainObject(event)) throw this.error("an element of traceEvents is not an object", at);
    this.events++;
    this.onEvent(event);
  }

  /**
   * Finds the end (exclusive) of the JSON value starting at `this.pos`, resuming where the previous
   * chunk stopped. Returns -1 when the text ends first.
   */
  private scanValue(atEnd: boolean): number {
    const text = this.text;
    if (this.valueStart < 0) {
      this.valueStart = this.pos;
      this.valueScanPos = this.pos;
      this.valueDepth = 0;
    }
    const first = text.charCodeAt(this.valueStart);
    if (first !== OPEN_BRACE && first !== OPEN_BRACKET) {
      // A scalar (string, number, literal): only top-level values other than events can be one.
      const end = first === QUOTE ? findStringEnd(text, this.valueStart + 1) + 1 : findScalarEnd(text, this.valueStart);
      if (end > 0 && end < text.length) return end;
      if (end > 0 && first === QUOTE) return end;
      if (!atEnd) this.failIfTooLong(text.length - this.valueStart);
      return -1;
    }
    let i = this.valueScanPos;
    let depth = this.valueDepth;
    const n = text.length;
    while (i < n) {
      const c = text.charCodeAt(i);
      if (c === QUOTE) {
        const close = findStringEnd(text, i + 1);
        if (close < 0) break;
        i = close + 1;
        continue;
      }
      if (c === OPEN_BRACE || c === OPEN_BRACKET) {
        depth++;
      } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
        depth--;
        if (depth === 0) return i + 1;
      }
      i++;
    }
    this.valueScanPos = i;
    this.valueDepth = depth;
    if (!atEnd) this.failIfTooLong(n - this.valueStart);
    return -1;
  }

  private failIfTooLong(length: number): void {
    if (length > MAX_VALUE_CHARS) {
      throw this.error(`a single value is longer than ${MAX_VALUE_CHARS} characters; Bazel never writes such events`);
    }
  }
}

/**
 * Whether the `}` at `at` can close an event: what follows is `]`, `,` then `{`, or the end of the
 * text so far. Rejects the `}` of an event's nested `args` (followed by `,"tid"`) without a parse.
 */
function mayEndEvent(text: string, at: number): boolean {
  let i = skipWhitespace(text, at + 1);
  if (i >= text.length || text.charCodeAt(i) === CLOSE_BRACKET) return true;
  if (text.charCodeAt(i) !== COMMA) return false;
  i = skipWhitespace(text, i + 1);
  return i >= text.length || text.charCodeAt(i) === OPEN_BRACE;
}

function skipWhitespace(text: string, from: number): number {
  let i = from;
  for (;;) {
    const c = text.charCodeAt(i);
    if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) i++;
    else return i;
  }
}

/** Index of the quote closing a string whose contents start at `from`, or -1. */
function findStringEnd(text: string, from: number): number {
  let quote = text.indexOf('"', from);
  while (quote >= 0) {
    let backslashes = 0;
    while (text.charCodeAt(quote - 1 - backslashes) === BACKSLASH) backslashes++;
    if (backslashes % 2 === 0) return quote;
    quote = text.indexOf('"', quote + 1);
  }
  return -1;
}

function findScalarEnd(text: string, from: number): number {
  let i = from;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (c === COMMA || c === CLOSE_BRACE || c === CLOSE_BRACKET || c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) {
      return i;
    }
    i++;
  }
  return -1;
}

function parseJson(text: string, offset: number): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    throw new TraceSyntaxError(`malformed JSON (${detail})`, offset);
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function describeChar(text: string, at: number): string {
  const code = text.charCodeAt(at);
  if (code >= 0x20 && code < 0x7f) return `'${text[at]}'`;
  return `character U+${code.toString(16).toUpperCase().padStart(4, "0")}`;
}
