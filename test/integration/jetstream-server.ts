import { afterEach } from "node:test";
import { jetstreamManager, type JetStreamManager } from "@nats-io/jetstream";
import { EventBus, type ConnectOptions } from "../../src/index.js";
import { serverWithRawClient, silentLogger } from "./support.js";

export interface JetStreamTestServer {
  readonly url: string;
  /** A JetStream manager on a raw connection, to look at what the server holds. */
  readonly jsm: JetStreamManager;
  /** A bus on the server (transport jetstream, no metrics, no config file or NATS_* variables), closed after the test. */
  bus(options?: ConnectOptions): Promise<EventBus>;
}

/**
 * One JetStream nats-server for the test file that calls it (started before its tests,
 * stopped after them), with a raw connection and the buses each test connects.
 */
export function useJetStreamServer(name: string): JetStreamTestServer {
  let jsm: JetStreamManager | undefined;
  const server = serverWithRawClient(name, async (raw) => {
    jsm = await jetstreamManager(raw);
  });
  let buses: EventBus[] = [];
  afterEach(async () => {
    const open = buses;
    buses = [];
    await Promise.all(open.map((bus) => bus.close()));
  });

  return {
    get url() {
      return server.nats.url;
    },
    get jsm() {
      return jsm!;
    },
    async bus(options: ConnectOptions = {}) {
      const bus = new EventBus();
      buses.push(bus);
      await bus.connect({ transport: "jetstream", servers: [server.nats.url], logger: silentLogger, env: {}, cwd: server.cwd, metrics: false, ...options });
      return bus;
    },
  };
}
