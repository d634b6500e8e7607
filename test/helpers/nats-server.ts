// The one implementation lives in the public testing kit (express-nats-events/testing).
export * from "../../src/testing/nats-server.js";
