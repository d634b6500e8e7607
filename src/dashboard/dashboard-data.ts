import type { EventBus } from "../bus/event-bus.js";
import { discoverProcesses, type DiscoverOptions, type LiveProcess } from "../discovery/discover.js";
import { BUCKET_MS, HISTORY_BUCKETS } from "../discovery/listener-activity.js";
import { describeError } from "../errors.js";
import { DeadLetterStore, type DeadLetter } from "../transport/jetstream/dead-letter-store.js";
import { JetStreamTransport } from "../transport/jetstream/jetstream-transport.js";
import type { StreamState } from "../transport/transport.js";
import { matches, type DeadLetterFilter } from "./dead-letter-query.js";
import type { OverviewData } from "./pages/overview-page.js";
import { activityTimeline } from "./rate-chart.js";

/** Reads what the pages show; a part that cannot be read becomes a problem line instead of an error page. */
export class DashboardData {
  constructor(
    private readonly bus: EventBus,
    private readonly serviceName: () => string,
    private readonly discovery: DiscoverOptions,
    private readonly maxDeadLetters: number,
  ) {}

  async overview(): Promise<OverviewData> {
    const problems: string[] = [];
    const transport = this.bus.transport;
    const [connection, streams, processes] = await Promise.all([
      transport.connectionInfo ? transport.connectionInfo().catch((err: unknown) => void problems.push(`connection info: ${describeError(err)}`)) : undefined,
      this.streams(problems),
      this.processes(problems),
    ]);
    return {
      health: this.bus.health(),
      connection: connection ?? undefined,
      streams,
      processes,
      timeline: activityTimeline(processes, BUCKET_MS, HISTORY_BUCKETS),
      bucketMs: BUCKET_MS,
      problems,
    };
  }

  /** The streams with their consumers (undefined: the transport stores nothing). */
  async streams(problems: string[]): Promise<StreamState[] | undefined> {
    const transport = this.bus.transport;
    if (!transport.inspect) return undefined;
    return transport.inspect().catch((err: unknown) => {
      problems.push(`streams: ${describeError(err)}`);
      return [];
    });
  }

  async processes(problems: string[]): Promise<LiveProcess[]> {
    if (!this.bus.transport.requestMany) {
      problems.push(`the ${this.bus.transport.name} transport cannot discover listener processes (it needs NATS)`);
      return [];
    }
    return discoverProcesses(this.bus.transport, this.serviceName(), this.discovery).catch((err: unknown) => {
      problems.push(`discovery: ${describeError(err)}`);
      return [];
    });
  }

  /** The dead-letter store, or why there is none. */
  deadLetters(): DeadLetterStore | string {
    const transport = this.bus.transport;
    if (!(transport instanceof JetStreamTransport)) {
      return `Dead letters are kept only by the jetstream transport; the ${transport.name} transport copies them to "${this.bus.options.deadLetterPrefix}.<subject>" without keeping them.`;
    }
    return new DeadLetterStore(transport.manager, this.bus.options.deadLetterStream);
  }

  /** The dead letters matching the filter among the oldest `maxDeadLetters` kept. */
  async findDeadLetters(store: DeadLetterStore, filter: DeadLetterFilter): Promise<{ letters: DeadLetter[]; scanned: number; complete: boolean }> {
    const scanned = await store.list(this.maxDeadLetters);
    return { letters: scanned.filter((letter) => matches(letter, filter)), scanned: scanned.length, complete: scanned.length < this.maxDeadLetters };
  }
}
