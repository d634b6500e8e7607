import { accessSync, constants as fsConstants } from "node:fs";
import { chromium, type Browser } from "playwright-core";

/** Debian's Chromium (`apt-get install chromium`; .ci/run installs it), or $CHROMIUM_BIN. */
export function chromiumBinary(): string {
  const binary = process.env.CHROMIUM_BIN ?? "/usr/bin/chromium";
  try {
    accessSync(binary, fsConstants.X_OK);
    return binary;
  } catch {
    throw new Error(
      `Chromium not found at ${binary}: the browser tests drive a real Chromium with playwright-core (no browser download). ` +
        "Install it (Debian/Ubuntu: `apt-get install chromium`) or set CHROMIUM_BIN to its path.",
    );
  }
}

/** A headless Chromium, launched the way CI can run it (as root, no GPU, no background traffic). */
export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumBinary(),
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
    timeout: 30_000,
  });
}
