import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { inspect } from "node:util";
import { after, before, describe, test } from "node:test";
import { ErrorCodes, EventBus, EventBusError, type ConnectOptions, type Logger } from "../../src/index.js";
import { freePort, startNatsServer, type NatsServer } from "../helpers/nats-server.js";

const SECRETS = ["s3cret-url-pw", "p4ss-option", "t0ken-option", "wr0ng-pass"];

function connectErrorWithoutSecrets(err: unknown): true {
  assert.ok(err instanceof EventBusError, `expected EventBusError, got ${String(err)}`);
  assert.equal(err.code, ErrorCodes.CONNECT, err.message);
  const everything = `${err.message}\n${err.stack}\n${inspect(err, { depth: 10 })}`;
  for (const secret of SECRETS) assert.ok(!everything.includes(secret), `"${secret}" leaked: ${err.message}`);
  return true;
}

describe("EB_ERR_CONNECT never carries credentials", () => {
  let cwd: string;
  let closedPort: number;
  let server: NatsServer;
  let tokenServer: NatsServer;
  const logged: string[] = [];
  const logger: Logger = {
    debug: (fields, message) => logged.push(message + JSON.stringify(fields)),
    info: (fields, message) => logged.push(message + JSON.stringify(fields)),
    warn: (fields, message) => logged.push(message + JSON.stringify(fields)),
    error: (fields, message) => logged.push(message + JSON.stringify(fields)),
  };
  const connect = async (options: ConnectOptions) => {
    const bus = new EventBus();
    try {
      await bus.connect({ transport: "nats", logger, env: {}, cwd, connectTimeoutMs: 500, reconnect: { maxAttempts: 0 }, ...options });
    } finally {
      await bus.close();
    }
  };

  before(async () => {
    cwd = await mkdtemp(path.join(os.tmpdir(), "nats-events-unit-"));
    closedPort = await freePort();
    [server, tokenServer] = await Promise.all([
      startNatsServer({ jetstream: false, user: "alice", pass: "right-pass" }),
      startNatsServer({ jetstream: false, token: "right-t0ken" }),
    ]);
  });
  after(async () => {
    await Promise.all([server?.stop(), tokenServer?.stop()]);
    await rm(cwd, { recursive: true, force: true });
  });

  test("a closed port with user:password in the URL and auth options", async () => {
    await assert.rejects(
      connect({ servers: [`nats://alice:s3cret-url-pw@127.0.0.1:${closedPort}`], auth: { user: "bob", pass: "p4ss-option" } }),
      (err: unknown) => {
        connectErrorWithoutSecrets(err);
        assert.match((err as Error).message, new RegExp(`nats://\\*\\*\\*@127\\.0\\.0\\.1:${closedPort}`), "the server is still named");
        return true;
      },
    );
  });

  test("a closed port with a token", async () => {
    await assert.rejects(connect({ servers: [`nats://127.0.0.1:${closedPort}`], auth: { token: "t0ken-option" } }), connectErrorWithoutSecrets);
  });

  test("a server that refuses the credentials (in the URL or in options)", async () => {
    const withUserinfo = server.url.replace("nats://", "nats://alice:wr0ng-pass@");
    await assert.rejects(connect({ servers: [withUserinfo] }), (err: unknown) => {
      connectErrorWithoutSecrets(err);
      assert.match((err as Error).message, /Authorization/i, "the reason is kept");
      return true;
    });
    await assert.rejects(connect({ servers: [server.url], auth: { user: "alice", pass: "wr0ng-pass" } }), connectErrorWithoutSecrets);
    await connect({ servers: [server.url], auth: { user: "alice", pass: "right-pass" } });
    const connectedLine = logged.find((line) => line.startsWith("connected"));
    assert.ok(connectedLine, "the successful connect was logged");
    for (const secret of [...SECRETS, "right-pass"]) assert.ok(!logged.join("\n").includes(secret), `"${secret}" leaked into a log line`);
  });

  test("a token in the URL authenticates; a wrong one is refused without echoing it", async () => {
    await connect({ servers: [tokenServer.url.replace("nats://", "nats://right-t0ken@")] });
    await assert.rejects(connect({ servers: [tokenServer.url.replace("nats://", "nats://wr0ng-pass@")] }), connectErrorWithoutSecrets);
    assert.ok(!logged.join("\n").includes("right-t0ken"), "the token leaked into a log line");
  });

  test("explicit auth options win over credentials in the URL", async () => {
    await connect({ servers: [server.url.replace("nats://", "nats://alice:wr0ng-pass@")], auth: { user: "alice", pass: "right-pass" } });
    await assert.rejects(
      connect({ servers: [server.url.replace("nats://", "nats://alice:right-pass@")], auth: { user: "alice", pass: "wr0ng-pass" } }),
      connectErrorWithoutSecrets,
    );
  });

  test("the logged server list of a successful connect hides URL credentials", async () => {
    logged.length = 0;
    await connect({ servers: [server.url.replace("nats://", "nats://alice:right-pass@")] });
    assert.ok(logged.some((line) => line.includes("nats://***@127.0.0.1")), `logged: ${logged.join(" | ")}`);
    assert.ok(!logged.join("\n").includes("right-pass"));
  });
});
