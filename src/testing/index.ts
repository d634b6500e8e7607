/**
 * express-nats-events/testing: what users need to test listeners and routes.
 * - createTestBus(): the production EventBus, EventPublisher, @Listen and ListenerRunner on an
 *   in-memory store with JetStream's durable semantics, a controllable clock, and inspection;
 * - startNatsServer(): a real nats-server on a free loopback port for integration tests.
 * Nothing here is exported from the main entry point.
 */
export { createTestBus, TestBus, type TestBusOptions } from "./test-bus.js";
export { TestClock } from "./test-clock.js";
export type { DeliveryOutcomeKind, DeliveryRecord, PublishedMessage } from "./records.js";
export type { DeadLetter } from "../transport/memory-dead-letters.js";
export { DurableMemoryTransport } from "../transport/memory-durable.js";
export { MemoryStreamStore, type MemoryStoreOptions } from "../transport/memory-store.js";
export type { Clock } from "../clock.js";
export { startNatsServer, natsServerBinary, type NatsServer, type NatsServerOptions } from "./nats-server.js";
