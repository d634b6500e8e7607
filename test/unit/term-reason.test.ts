import assert from "node:assert/strict";
import { test } from "node:test";
import { termTakesReason } from "../../src/transport/jetstream/jetstream-delivery.js";

// nats-server before 2.11 ignores "+TERM <reason>" entirely (checked against 2.9.10: the
// message stays pending and is redelivered after ackWait), so those servers get a bare "+TERM".
test("term() sends a reason only to nats-server 2.11 or later", () => {
  for (const version of ["2.11.0", "2.11.4", "2.12.1", "3.0.0"]) assert.equal(termTakesReason(version), true, version);
  for (const version of ["2.9.10", "2.10.29", "2.10.0-beta.1", "1.4.1", "", undefined]) assert.equal(termTakesReason(version), false, String(version));
});
