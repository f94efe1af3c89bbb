// A real headless Chromium (Debian's `chromium` package; .ci/run installs it) driven by playwright-core,
// for the tests that must see a page as a user's browser does. No browser is downloaded.
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium, type BrowserContext, type Page } from "playwright-core";

export const CHROMIUM = "/usr/bin/chromium";

/** Flags that keep Chromium from reaching the network or doing anything but render the page. */
const CHROMIUM_FLAGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

export interface Browser {
  readonly context: BrowserContext;
  close(): Promise<void>;
}

/** Starts Chromium headless with an empty profile folder of its own; fails loudly if it is not installed. */
export async function startChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} is missing: install Debian's chromium package (.ci/run does: apt-get install chromium)`);
  }
  const userDataDir = mkdtempSync(join(tmpdir(), "chromium-profile-"));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_FLAGS,
    offline: true,
  });
  return {
    context,
    close: async () => {
      await context.close();
      rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}

/** Everything a page reports going wrong: console errors and warnings, uncaught errors, failed requests. */
export function collectProblems(page: Page): string[] {
  const problems: string[] = [];
  page.on("console", (message) => {
    if (message.type() === "error" || message.type() === "warning") problems.push(`console ${message.type()}: ${message.text()}`);
  });
  page.on("pageerror", (error) => problems.push(`page error: ${error.message}`));
  page.on("requestfailed", (request) => problems.push(`request failed: ${request.url()}`));
  return problems;
}

export interface PixelStats {
  readonly width: number;
  readonly height: number;
  /** Pixels that are not (near) white. */
  readonly inked: number;
  /** Distinct colours among the inked pixels, quantised to 4 bits a channel. */
  readonly colours: number;
}

/** Decodes a PNG in the browser itself (no PNG decoder in the tests) and counts what is drawn on it. */
export async function pixelStats(page: Page, png: Uint8Array): Promise<PixelStats> {
  const base64 = Buffer.from(png).toString("base64");
  // A string, not a function: the tests are type-checked without the DOM library.
  return page.evaluate<PixelStats>(`(async () => {
    const image = new Image();
    image.src = "data:image/png;base64,${base64}";
    await image.decode();
    const canvas = document.createElement("canvas");
    canvas.width = image.naturalWidth;
    canvas.height = image.naturalHeight;
    const context = canvas.getContext("2d");
    context.drawImage(image, 0, 0);
    const pixels = context.getImageData(0, 0, canvas.width, canvas.height).data;
    let inked = 0;
    const colours = new Set();
    for (let i = 0; i < pixels.length; i += 4) {
      const [r, g, b, a] = [pixels[i], pixels[i + 1], pixels[i + 2], pixels[i + 3]];
      if (a > 0 && (r < 240 || g < 240 || b < 240)) {
        inked++;
        colours.add(((r >> 4) << 8) | ((g >> 4) << 4) | (b >> 4));
      }
    }
    return { width: canvas.width, height: canvas.height, inked, colours: colours.size };
  })()`);
}
