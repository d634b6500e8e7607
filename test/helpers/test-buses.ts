import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, afterEach, before } from "node:test";
import { EventBus } from "../../src/index.js";
import { createTestBus, type TestBus } from "../../src/testing/index.js";

/**
 * For a test file of the testing kit: a directory without a config file (the options are the
 * defaults plus what each test gives) and a factory of test buses, each closed after its test.
 */
export function testBuses(prefix: string): (options?: Parameters<typeof createTestBus>[0]) => Promise<TestBus> {
  let cwd: string;
  before(async () => (cwd = await mkdtemp(path.join(os.tmpdir(), `nats-events-${prefix}-`))));
  after(() => rm(cwd, { recursive: true, force: true }));
  const open: TestBus[] = [];
  afterEach(async () => {
    await Promise.all(open.splice(0).map((bus) => bus.close()));
  });
  return async (options = {}) => {
    const bus = await createTestBus({ bus: new EventBus(), env: {}, cwd, metrics: false, ...options });
    open.push(bus);
    return bus;
  };
}
