import { fileURLToPath } from "node:url";

/** The example's own configuration (streams, retry policy), so unit tests run under the policy production runs under. */
export const exampleConfigFile = fileURLToPath(new URL("../../../example-app/nats-events.config.js", import.meta.url));
