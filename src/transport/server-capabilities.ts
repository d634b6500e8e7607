import { ServerVersionError } from "../errors.js";

/**
 * What this library uses from nats-server that older servers lack, and the first
 * version that has it. The one place that knows these numbers: features that cannot
 * work on an older server refuse with a ServerVersionError (requireServerFeature),
 * features that degrade ask serverSupports() and quietly take the older path.
 */
export const SERVER_FEATURES = {
  /** Pausing a JetStream consumer until a time, and resuming it (ADR-42). */
  "consumer pause": "2.11.0",
  /** One active process per queue group: a priority group with the pinned-client policy (ADR-42). */
  "exclusive listeners": "2.11.0",
  /** "+TERM <reason>": older servers ignore the whole ack, so the reason is left out there. */
  "term with reason": "2.11.0",
  /** Per-message TTL: the Nats-TTL header and the stream's allow_msg_ttl (ADR-43). */
  "per-message TTL": "2.11.0",
  /** Delayed delivery: a `Nats-Schedule: @at <time>` message and the stream's allow_msg_schedules (ADR-51). */
  "message schedules": "2.12.0",
} as const satisfies Record<string, string>;

export type ServerFeature = keyof typeof SERVER_FEATURES;

type Version = readonly [major: number, minor: number, patch: number];

/** "2.11.4" → [2, 11, 4]; a pre-release ("2.12.0-RC.1") counts as its release; undefined when unreadable. */
export function parseServerVersion(version: string | undefined): Version | undefined {
  const match = /^v?(\d+)\.(\d+)\.(\d+)/.exec(version ?? "");
  return match ? [Number(match[1]), Number(match[2]), Number(match[3])] : undefined;
}

function atLeast(found: Version, required: Version): boolean {
  for (let index = 0; index < 3; index++) {
    if (found[index] !== required[index]) return found[index]! > required[index]!;
  }
  return true;
}

/** Does a server of this version have `feature`? An unknown version counts as too old (the safe side). */
export function serverSupports(feature: ServerFeature, version: string | undefined): boolean {
  const found = parseServerVersion(version);
  return found !== undefined && atLeast(found, parseServerVersion(SERVER_FEATURES[feature])!);
}

/** Throws ServerVersionError (EB_ERR_SERVER_VERSION) naming the feature, the version it needs and the one found. */
export function requireServerFeature(feature: ServerFeature, version: string | undefined, what: string = feature): void {
  if (!serverSupports(feature, version)) throw new ServerVersionError(what, SERVER_FEATURES[feature], version);
}
