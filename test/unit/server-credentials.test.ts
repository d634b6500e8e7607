import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { splitServerCredentials } from "../../src/transport/server-credentials.js";

describe("splitServerCredentials (nats.js v3 ignores URL credentials, so we read them)", () => {
  test("URLs without credentials pass through unchanged", () => {
    const urls = ["nats://127.0.0.1:4222", "tls://nats.example.com:4443", "localhost:4222", "nats://[::1]:4222"];
    assert.deepEqual(splitServerCredentials(urls), { servers: urls });
  });

  test("user:pass@ becomes user and pass, and is removed from the URL", () => {
    assert.deepEqual(splitServerCredentials(["nats://alice:s3cret@127.0.0.1:4222"]), {
      servers: ["nats://127.0.0.1:4222"],
      user: "alice",
      pass: "s3cret",
    });
  });

  test("a bare token@ becomes a token", () => {
    assert.deepEqual(splitServerCredentials(["nats://t0ken@nats.example.com:4222"]), { servers: ["nats://nats.example.com:4222"], token: "t0ken" });
  });

  test("percent-encoding is decoded, and only the first colon separates user from password", () => {
    const result = splitServerCredentials(["nats://al%40ice:p%3Aw:rest@host:4222"]);
    assert.equal(result.user, "al@ice");
    assert.equal(result.pass, "p:w:rest");
    assert.deepEqual(result.servers, ["nats://host:4222"]);
  });

  test("credentials come from the first URL that has them; every URL is stripped", () => {
    assert.deepEqual(splitServerCredentials(["nats://a:4222", "nats://bob:one@b:4222", "carol:two@c:4222"]), {
      servers: ["nats://a:4222", "nats://b:4222", "c:4222"],
      user: "bob",
      pass: "one",
    });
  });
});
