import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import type { TestProcess } from "./processes.js";
import { pollUntil } from "./unique.js";

/** One handled message as test/fixtures/crash.listener.ts records it. */
export interface LedgerRecord {
  readonly id: number;
  readonly deliveryCount: number;
  /** When the handler started (ms since the epoch). */
  readonly startedAt: number;
  readonly pid: number;
}

/**
 * What the listener processes handled, from the ledger files the crash fixture writes (one per
 * pid, one "id deliveryCount startedAt" line per handled message; see test/fixtures/crash.listener.ts).
 */
export class Ledger {
  readonly counts = new Map<number, number>();
  readonly records: LedgerRecord[] = [];
  lines = 0;
  redelivered = 0;
  readonly perPid = new Map<number, number>();

  constructor(readonly dir: string) {}

  update(): this {
    this.counts.clear();
    this.perPid.clear();
    this.records.length = 0;
    this.lines = 0;
    this.redelivered = 0;
    for (const file of readdirSync(this.dir).filter((name) => name.endsWith(".ledger"))) {
      const pid = Number.parseInt(file, 10);
      const lines = readFileSync(path.join(this.dir, file), "utf8").split("\n");
      lines.pop(); // the text after the last newline is empty, or a record still being written
      this.perPid.set(pid, lines.length);
      for (const line of lines) {
        const [id, deliveryCount, startedAt] = line.split(" ").map(Number) as [number, number, number];
        this.records.push({ id, deliveryCount, startedAt, pid });
        this.counts.set(id, (this.counts.get(id) ?? 0) + 1);
        this.lines++;
        if (deliveryCount > 1) this.redelivered++;
      }
    }
    return this;
  }

  handledBy(process_: TestProcess): number {
    return this.perPid.get(process_.pid) ?? 0;
  }

  get unique(): number {
    return this.counts.size;
  }

  get duplicates(): number {
    return this.lines - this.counts.size;
  }

  /** Ids handled more than once. */
  twice(): number[] {
    return [...this.counts].filter(([, count]) => count > 1).map(([id]) => id);
  }

  /** The ids 0..count-1 none handled. */
  missing(count: number): number[] {
    return Array.from({ length: count }, (_, id) => id).filter((id) => !this.counts.has(id));
  }
}

/**
 * Waits until the server will deliver nothing more on the consumer of `stream` that filters
 * `subject` (nothing pending, nothing unacknowledged). Errors while asking (an election on a
 * cluster) are retried until the timeout.
 */
export async function waitConsumerSettled(servers: string[], stream: string, subject: string, timeoutMs: number): Promise<void> {
  const connection = await connect({ servers, name: "ledger-inspector" });
  try {
    // No API check here: right after a restart the cluster may still be electing; the polls retry.
    const jsm = await jetstreamManager(connection, { checkAPI: false });
    let last = "";
    await pollUntil(async () => {
      let name: string | undefined;
      for await (const info of jsm.consumers.list(stream)) if (info.config.filter_subject === subject) name = info.name;
      if (!name) throw new Error(`no consumer of ${stream} filters on ${subject}`);
      const info = await jsm.consumers.info(stream, name);
      last = `num_pending ${info.num_pending}, num_ack_pending ${info.num_ack_pending}`;
      return info.num_pending === 0 && info.num_ack_pending === 0 ? true : undefined;
    }, timeoutMs, `consumer on ${subject} settled (last: ${last || "no answer"})`, 50);
  } finally {
    await connection.close();
  }
}
