/**
 * `express-nats-events/stan`: the legacy NATS Streaming transport for code that builds
 * transports itself (`bus.connect({ transportInstance: new StanTransport(options) })`).
 * Configuration alone (`transport: "stan"`) needs no import from here.
 * node-nats-streaming is an optional peer dependency, loaded when the transport connects.
 */
export { StanTransport } from "./stan-transport.js";
export { StanDualPublishTransport } from "./dual-publish.js";
export { stanClientId, stanConnectOptions, stanSubscriptionSettings, type ProcessIdentity, type StanSubscriptionSettings } from "./stan-options.js";
export { encodeFrame, decodeFrame } from "./header-frame.js";
