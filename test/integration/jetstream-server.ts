import { after, afterEach, before } from "node:test";
import { jetstreamManager, type JetStreamManager } from "@nats-io/jetstream";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { EventBus, type ConnectOptions } from "../../src/index.js";
import { startNatsServer, type NatsServer } from "../helpers/nats-server.js";
import { removeDir, silentLogger, tempCwd } from "./support.js";

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
  let nats: NatsServer | undefined;
  let cwd: string | undefined;
  let raw: NatsConnection | undefined;
  let jsm: JetStreamManager | undefined;
  let buses: EventBus[] = [];

  before(async () => {
    nats = await startNatsServer();
    cwd = await tempCwd(name);
    raw = await connect({ servers: nats.url, name: `${name}-raw` });
    jsm = await jetstreamManager(raw);
  });
  afterEach(async () => {
    const open = buses;
    buses = [];
    await Promise.all(open.map((bus) => bus.close()));
  });
  after(async () => {
    await raw?.close();
    await nats?.stop();
    await removeDir(cwd);
  });

  return {
    get url() {
      return nats!.url;
    },
    get jsm() {
      return jsm!;
    },
    async bus(options: ConnectOptions = {}) {
      const bus = new EventBus();
      buses.push(bus);
      await bus.connect({ transport: "jetstream", servers: [nats!.url], logger: silentLogger, env: {}, cwd, metrics: false, ...options });
      return bus;
    },
  };
}
