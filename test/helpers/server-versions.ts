import { execFileSync } from "node:child_process";
import { accessSync, constants as fsConstants } from "node:fs";
import os from "node:os";
import path from "node:path";
import { serverSupports, type ServerFeature } from "express-nats-events";
import { natsServerBinary } from "./nats-server.js";

/**
 * Tests of a feature that needs a newer nats-server (and of the clear error an older one
 * gets) pick their binary here, so both kinds run whichever server the suite is on:
 * CI runs the suite once on Debian stable's nats-server and once on the current one.
 */
export interface ServerBinary {
  readonly binary: string;
  /** "2.15.1", as `nats-server --version` prints it. */
  readonly version: string;
}

/** Where scripts/current-nats-server.sh caches Debian unstable's nats-server. */
export const CURRENT_SERVER_CACHE = path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), ".cache"), "express-nats-events/nats-server-sid/nats-server");

const versions = new Map<string, string | undefined>();

/** The version a binary reports (`nats-server: v2.15.1` → "2.15.1"); undefined when it is not there or does not run. */
export function versionOf(binary: string): string | undefined {
  if (!versions.has(binary)) {
    let version: string | undefined;
    try {
      accessSync(binary, fsConstants.X_OK);
      version = /v?(\d+\.\d+\.\d+\S*)/.exec(execFileSync(binary, ["--version"], { encoding: "utf8", timeout: 10_000 }))?.[1];
    } catch {
      version = undefined;
    }
    versions.set(binary, version);
  }
  return versions.get(binary);
}

/** The server under test first, then the other one CI uses: the current server, or Debian stable's. */
function candidates(other: Array<string | undefined>): string[] {
  let underTest: string | undefined;
  try {
    underTest = natsServerBinary();
  } catch {
    underTest = undefined;
  }
  return [...new Set([underTest, ...other].filter((binary): binary is string => Boolean(binary)))];
}

/**
 * A nats-server that has `feature`: the one under test ($NATS_SERVER_BIN) when it is new
 * enough, else $NATS_SERVER_CURRENT_BIN, else the binary scripts/current-nats-server.sh
 * cached. A string when there is none: the reason to skip with.
 */
export function serverWith(feature: ServerFeature): ServerBinary | string {
  const tried = candidates([process.env.NATS_SERVER_CURRENT_BIN, CURRENT_SERVER_CACHE]);
  for (const binary of tried) {
    const version = versionOf(binary);
    if (version && serverSupports(feature, version)) return { binary, version };
  }
  return `no nats-server with ${feature} here (tried ${describe(tried)}); run scripts/current-nats-server.sh (CI does) or set NATS_SERVER_CURRENT_BIN`;
}

/**
 * A nats-server too old for `feature` (to test the clear error): the one under test when it
 * is old, else $NATS_SERVER_OLD_BIN, else Debian stable's /usr/sbin/nats-server.
 */
export function serverWithout(feature: ServerFeature): ServerBinary | string {
  const tried = candidates([process.env.NATS_SERVER_OLD_BIN, "/usr/sbin/nats-server"]);
  for (const binary of tried) {
    const version = versionOf(binary);
    if (version && !serverSupports(feature, version)) return { binary, version };
  }
  return `no nats-server without ${feature} here (tried ${describe(tried)}); install Debian stable's (apt-get install nats-server, CI does) or set NATS_SERVER_OLD_BIN`;
}

function describe(binaries: readonly string[]): string {
  return binaries.map((binary) => `${binary}: ${versionOf(binary) ?? "missing"}`).join(", ") || "nothing";
}
