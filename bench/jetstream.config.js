// Config of the bench's library listener processes on JetStream (passed with
// --config to `nats-events register-listeners`; the server URL comes with --server).
// The raw side uses a stream of the same shape, created with @nats-io/jetstream.
export default {
  transport: "jetstream",
  streams: [{ name: "BENCH_LIB", subjects: ["bench.js.lib.>"], storage: "file" }],
};
