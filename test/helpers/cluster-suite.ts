import { after, afterEach, before } from "node:test";
import { jetstreamManager, type JetStreamManager } from "@nats-io/jetstream";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { EventBus, type ConnectOptions } from "express-nats-events";
import { removeDir, silentLogger, tempCwd } from "../integration/support.js";
import { startNatsCluster, type NatsCluster } from "./nats-cluster.js";

/** A test file's 3-node cluster, a raw connection to it, and buses closed after each test. */
export interface ClusterSuite {
  readonly cluster: NatsCluster;
  readonly nc: NatsConnection;
  readonly jsm: JetStreamManager;
  /** A connected JetStream bus on every node of the cluster (silent, no config file, no environment); closed after the test. */
  bus(options?: ConnectOptions): Promise<EventBus>;
}

/**
 * Registers the hooks of a cluster test file: a cluster before all tests, the buses a test
 * made closed after it, everything stopped and removed at the end. `defaults` are the
 * connect options every bus of the file starts from.
 */
export function clusterSuite(name: string, defaults: () => ConnectOptions = () => ({})): ClusterSuite {
  let cluster: NatsCluster | undefined;
  let nc: NatsConnection | undefined;
  let jsm: JetStreamManager | undefined;
  let cwd: string | undefined;
  let buses: EventBus[] = [];
  before(async () => {
    cluster = await startNatsCluster();
    nc = await connect({ servers: cluster.urls, name });
    jsm = await jetstreamManager(nc);
    cwd = await tempCwd(name);
  });
  afterEach(async () => {
    const open = buses;
    buses = [];
    await Promise.all(open.map((bus) => bus.close()));
  });
  after(async () => {
    await nc?.close();
    await cluster?.stop();
    await removeDir(cwd);
  });
  const ready = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error("the cluster suite is not started yet (use it inside a test)");
    return value;
  };
  return {
    get cluster() {
      return ready(cluster);
    },
    get nc() {
      return ready(nc);
    },
    get jsm() {
      return ready(jsm);
    },
    async bus(options = {}) {
      const bus = new EventBus();
      buses.push(bus);
      await bus.connect({ transport: "jetstream", servers: ready(cluster).urls, logger: silentLogger, env: {}, cwd, metrics: false, ...defaults(), ...options });
      return bus;
    },
  };
}
