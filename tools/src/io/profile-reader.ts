// Streams a JSON trace profile from disk (plain or gzip, recognised by its magic bytes) into the
// pure TraceScanner, in constant memory. Damage from a crash (gzip or JSON cut anywhere) is
// reported as `truncated`; anything that is not a trace becomes a one-line InputError naming the file.
import { createReadStream } from "node:fs";
import { open } from "node:fs/promises";
import { StringDecoder } from "node:string_decoder";
import { createGunzip } from "node:zlib";
import { InputError } from "../core/exit-codes.js";
import { TraceScanner, TraceSyntaxError, type RawTraceEvent, type TraceScanResult } from "../core/profile/trace-scanner.js";

export interface ProfileReadResult extends TraceScanResult {
  readonly gzipped: boolean;
  /** The gzip stream ended early (the JSON may still be complete if only the trailer is missing). */
  readonly gzipTruncated: boolean;
}

const GZIP_MAGIC = [0x1f, 0x8b] as const;
const READ_CHUNK_BYTES = 1 << 20;
const INFLATE_CHUNK_BYTES = 1 << 18;

/** Reads the profile at `path`, calling `onEvent` for each complete event in file order. */
export async function readProfile(path: string, onEvent: (event: RawTraceEvent) => void): Promise<ProfileReadResult> {
  const head = await fileHead(path);
  if (head === "gzip-first-byte") {
    // A gzip stream cut after its first byte: nothing was recovered, but it is a cut profile.
    return { events: 0, truncated: true, otherData: undefined, gzipped: true, gzipTruncated: true };
  }
  const gzipped = head === "gzip";
  const scanner = new TraceScanner(onEvent);
  const decoder = new StringDecoder("utf8");
  let gzipTruncated = false;
  await new Promise<void>((resolve, reject) => {
    const source = createReadStream(path, { highWaterMark: READ_CHUNK_BYTES });
    const gunzip = gzipped ? createGunzip({ chunkSize: INFLATE_CHUNK_BYTES }) : undefined;
    const text = gunzip ?? source;
    let settled = false;
    const fail = (error: unknown): void => {
      if (settled) return;
      settled = true;
      source.destroy();
      gunzip?.destroy();
      reject(error);
    };
    source.on("error", (error) => fail(new InputError(`${path}: cannot read the profile (${error.message})`)));
    text.on("data", (chunk: Buffer) => {
      if (settled) return;
      try {
        scanner.push(decoder.write(chunk));
      } catch (error) {
        fail(error);
      }
    });
    text.on("end", () => {
      if (settled) return;
      settled = true;
      resolve();
    });
    if (gunzip !== undefined) {
      gunzip.on("error", (error: NodeJS.ErrnoException) => {
        // zlib delivers everything it could inflate before reporting the cut.
        if (error.code === "Z_BUF_ERROR") {
          gzipTruncated = true;
          if (!settled) {
            settled = true;
            resolve();
          }
        } else {
          fail(new InputError(`${path}: corrupt gzip data (${error.message}); a crash only cuts a profile short, so the file was damaged otherwise`));
        }
      });
      source.pipe(gunzip);
    }
  }).catch((error: unknown) => {
    throw asInputError(path, error);
  });
  try {
    scanner.push(decoder.end());
    const scanned = scanner.finish();
    return { ...scanned, truncated: scanned.truncated || gzipTruncated, gzipped, gzipTruncated };
  } catch (error) {
    throw asInputError(path, error);
  }
}

async function fileHead(path: string): Promise<"gzip" | "gzip-first-byte" | "other"> {
  let handle;
  try {
    handle = await open(path, "r");
  } catch (error) {
    throw new InputError(`${path}: cannot open the profile (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
  }
  try {
    const head = Buffer.alloc(GZIP_MAGIC.length);
    const { bytesRead } = await handle.read(head, 0, head.length, 0).catch((error: NodeJS.ErrnoException) => {
      throw new InputError(`${path}: cannot read the profile (${error.code ?? error.message})`);
    });
    if (bytesRead === 1 && head[0] === GZIP_MAGIC[0]) return "gzip-first-byte";
    return bytesRead === GZIP_MAGIC.length && head[0] === GZIP_MAGIC[0] && head[1] === GZIP_MAGIC[1] ? "gzip" : "other";
  } finally {
    await handle.close();
  }
}

function asInputError(path: string, error: unknown): unknown {
  if (error instanceof TraceSyntaxError) {
    return new InputError(`${path}: not a JSON trace profile: ${error.message} (at character ${error.offset})`);
  }
  return error;
}
