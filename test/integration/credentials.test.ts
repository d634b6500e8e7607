/**
 * Credentials against real nats-servers with user/password and token auth:
 * they work from connect() options, from NATS_* environment variables and
 * from URL userinfo, and they never show up in a log line or an error.
 */
import "reflect-metadata";
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { injectable } from "tsyringe";
import { ErrorCodes, EventBus, EventBusError, Listen, loadOptions, type ConnectOptions } from "../../src/index.js";
import { startNatsServer, type NatsServer } from "../helpers/nats-server.js";
import { uniqueName } from "../helpers/unique.js";
import { capturingLogger, removeDir, StatusRecorder, tempCwd, type CapturedLine } from "./support.js";

const WAIT_MS = 10_000;
const USER = uniqueName("svc-user");
const PASS = uniqueName("pass-SECRET");
const WRONG_PASS = uniqueName("wrong-pass-SECRET");
const TOKEN = uniqueName("token-SECRET");
const WRONG_TOKEN = uniqueName("wrong-token-SECRET");
const SECRETS = [PASS, WRONG_PASS, TOKEN, WRONG_TOKEN];

const ECHO_SUBJECT = `${uniqueName("creds")}.echo`;

@injectable()
class Echo {
  @Listen(ECHO_SUBJECT)
  echo(data: unknown): unknown {
    return data;
  }
}

/** Every text an error exposes: message, stack, and the same for each `cause` down the chain. */
function errorTexts(err: unknown): string[] {
  const texts: string[] = [];
  for (let current: unknown = err, depth = 0; current !== undefined && current !== null && depth < 10; depth++) {
    if (current instanceof Error) {
      texts.push(`${current.name}: ${current.message}`, current.stack ?? "");
      current = current.cause;
    } else {
      texts.push(String(current));
      break;
    }
  }
  return texts;
}

function assertNoSecrets(what: string, texts: readonly string[]): void {
  for (const text of texts) {
    for (const secret of SECRETS) {
      assert.ok(!text.includes(secret), `${what} leaks a secret (${secret.split("-SECRET")[0]}...): ${text}`);
    }
  }
}

function assertCleanLogs(lines: readonly CapturedLine[]): void {
  assert.ok(lines.length > 0, "the bus logged nothing: the capture is not wired");
  assertNoSecrets("log line", lines.map((line) => line.text));
}

function connectedLine(lines: readonly CapturedLine[]): CapturedLine {
  const line = lines.find((l) => l.message === "connected");
  assert.ok(line, `no "connected" log line in: ${JSON.stringify(lines.map((l) => l.text))}`);
  return line;
}

/** Connects a fresh bus with a capturing logger; closes every bus it made in `closeAll`. */
function busFactory(cwd: () => string) {
  const buses: EventBus[] = [];
  return {
    async connect(options: ConnectOptions): Promise<{ bus: EventBus; lines: CapturedLine[] }> {
      const { logger, lines } = capturingLogger();
      const bus = new EventBus();
      buses.push(bus);
      await bus.connect({ env: {}, cwd: cwd(), transport: "nats", connectTimeoutMs: 5_000, reconnect: { waitMs: 100, jitterMs: 0 }, ...options, logger });
      return { bus, lines };
    },
    /** A connect that must fail; returns the error and what was logged. */
    async failToConnect(options: ConnectOptions): Promise<{ bus: EventBus; err: EventBusError; lines: CapturedLine[] }> {
      const { logger, lines } = capturingLogger();
      const bus = new EventBus();
      buses.push(bus);
      const started = performance.now();
      let caught: unknown;
      await bus
        .connect({ env: {}, cwd: cwd(), transport: "nats", connectTimeoutMs: 5_000, reconnect: { waitMs: 100, jitterMs: 0 }, ...options, logger })
        .then(
          () => assert.fail("connect() with wrong credentials must reject"),
          (err: unknown) => (caught = err),
        );
      assert.ok(caught instanceof EventBusError, `expected an EventBusError, got ${String(caught)}`);
      assert.equal(caught.code, ErrorCodes.CONNECT, caught.message);
      assert.ok(performance.now() - started < 4_000, "an auth failure must reject at once, not after the connect timeout");
      assert.equal(bus.status, "closed");
      return { bus, err: caught, lines };
    },
    async closeAll(): Promise<void> {
      await Promise.all(buses.splice(0).map((bus) => bus.close()));
    },
  };
}

/** Proves the connection really works: a request answered by a @Listen handler on the same bus. */
async function roundTrip(bus: EventBus): Promise<void> {
  await bus.listen([Echo]);
  assert.deepEqual(await bus.request(ECHO_SUBJECT, { ping: 1 }, { timeout: WAIT_MS }), { ping: 1 });
}

describe("user/password auth", () => {
  let server: NatsServer;
  let cwd: string;
  const buses = busFactory(() => cwd);

  before(async () => {
    cwd = await tempCwd("credentials");
    server = await startNatsServer({ user: USER, pass: PASS, jetstream: false });
  });

  after(async () => {
    await buses.closeAll();
    await server?.stop();
    await removeDir(cwd);
  });

  test("connects with auth.user/auth.pass options, survives a reconnect, drains; no log line contains the password", { timeout: 30_000 }, async () => {
    const { bus, lines } = await buses.connect({ servers: [server.url], auth: { user: USER, pass: PASS } });
    assert.equal(bus.status, "connected");
    await roundTrip(bus);
    assert.equal((connectedLine(lines).fields as { servers?: string }).servers, server.url);

    // A reconnect sends the credentials again, and logs about the lost connection.
    const statuses = new StatusRecorder(bus);
    await server.restart();
    await statuses.waitFor("reconnecting", 0, WAIT_MS);
    await statuses.waitFor("connected", statuses.seen.indexOf("reconnecting") + 1, WAIT_MS);
    statuses.stop();
    assert.deepEqual(await bus.request(ECHO_SUBJECT, "again", { timeout: WAIT_MS }), "again");
    assert.ok(lines.some((line) => line.message.includes("reconnecting")), "the lost connection was logged");

    await bus.drain();
    assert.equal(bus.status, "closed");
    assertCleanLogs(lines);
  });

  test("connects with NATS_URL/NATS_USER/NATS_PASSWORD from the env parameter", { timeout: 30_000 }, async () => {
    const env = { NATS_URL: server.url, NATS_USER: USER, NATS_PASSWORD: PASS };
    const loaded = await loadOptions({}, { env, cwd });
    assert.deepEqual(loaded.options.servers, [server.url]);
    assert.equal(loaded.options.auth.user, USER);
    assert.equal(loaded.options.auth.pass, PASS);

    const { bus, lines } = await buses.connect({ env });
    assert.equal(bus.status, "connected");
    await roundTrip(bus);
    await bus.drain();
    assertCleanLogs(lines);
  });

  test("wrong password → EB_ERR_CONNECT naming the server URL, never the password (neither the wrong nor the right one)", { timeout: 30_000 }, async () => {
    const fromOptions = await buses.failToConnect({ servers: [server.url], auth: { user: USER, pass: WRONG_PASS } });
    assert.ok(fromOptions.err.message.includes(server.url), `the error must name the server: ${fromOptions.err.message}`);
    assertNoSecrets("EB_ERR_CONNECT error", errorTexts(fromOptions.err));
    assertNoSecrets("log line", fromOptions.lines.map((line) => line.text));

    const fromEnv = await buses.failToConnect({ env: { NATS_URL: server.url, NATS_USER: USER, NATS_PASSWORD: WRONG_PASS } });
    assert.ok(fromEnv.err.message.includes(server.url), fromEnv.err.message);
    assertNoSecrets("EB_ERR_CONNECT error (env credentials)", errorTexts(fromEnv.err));
  });

  test("a URL with userinfo connects and appears redacted in the connected log line; a wrong one is redacted in the error", { timeout: 30_000 }, async () => {
    const hostPort = `127.0.0.1:${server.port}`;
    const { bus, lines } = await buses.connect({ servers: [`nats://${USER}:${PASS}@${hostPort}`] });
    assert.equal(bus.status, "connected");
    await roundTrip(bus);
    const logged = (connectedLine(lines).fields as { servers?: string }).servers;
    assert.equal(logged, `nats://***@${hostPort}`, "the connected line shows the server with its userinfo hidden");
    await bus.drain();
    assertCleanLogs(lines);

    const failed = await buses.failToConnect({ servers: [`nats://${USER}:${WRONG_PASS}@${hostPort}`] });
    assert.ok(failed.err.message.includes(`nats://***@${hostPort}`), `the error names the redacted server URL: ${failed.err.message}`);
    assertNoSecrets("EB_ERR_CONNECT error (URL userinfo)", errorTexts(failed.err));
  });

  test("bus.options never shows a credential: URL userinfo, password and user are \"***\", the rest as resolved", { timeout: 30_000 }, async () => {
    const withUserinfo = server.url.replace("nats://", `nats://${USER}:${PASS}@`);
    const { bus } = await buses.connect({ servers: [withUserinfo], auth: { user: USER, pass: PASS }, name: "options-view" });
    await roundTrip(bus);
    const shown = bus.options;
    assert.deepEqual(shown.servers, [server.url.replace("nats://", "nats://***@")]);
    assert.deepEqual(shown.auth, { user: "***", pass: "***" });
    assert.equal(shown.name, "options-view");
    assert.equal(shown.transport, "nats");
    const text = JSON.stringify(shown);
    assertNoSecrets("bus.options", [text]);
    assert.ok(!text.includes(USER), `bus.options shows the user name: ${text}`);
  });

  test("an invalid secret option value is reported without echoing it (EB_ERR_CONFIG)", { timeout: 30_000 }, async () => {
    await assert.rejects(loadOptions({ auth: { user: USER, pass: [PASS] as unknown as string } }, { env: {}, cwd }), (err: unknown) => {
      assert.ok(err instanceof EventBusError && err.code === ErrorCodes.CONFIG, String(err));
      assert.match(err.message, /auth\.pass/);
      assertNoSecrets("EB_ERR_CONFIG error", errorTexts(err));
      return true;
    });
  });
});

describe("token auth", () => {
  let server: NatsServer;
  let cwd: string;
  const buses = busFactory(() => cwd);

  before(async () => {
    cwd = await tempCwd("credentials-token");
    server = await startNatsServer({ token: TOKEN, jetstream: false });
  });

  after(async () => {
    await buses.closeAll();
    await server?.stop();
    await removeDir(cwd);
  });

  test("connects with the auth.token option; no log line contains the token", { timeout: 30_000 }, async () => {
    const { bus, lines } = await buses.connect({ servers: [server.url], auth: { token: TOKEN } });
    await roundTrip(bus);
    await bus.drain();
    assertCleanLogs(lines);
  });

  test("bus.options shows a token (from the option and from the URL) as \"***\"", { timeout: 30_000 }, async () => {
    const { bus } = await buses.connect({ servers: [server.url.replace("nats://", `nats://${TOKEN}@`)], auth: { token: TOKEN } });
    assert.deepEqual(bus.options.auth, { token: "***" });
    assert.deepEqual(bus.options.servers, [server.url.replace("nats://", "nats://***@")]);
    assertNoSecrets("bus.options", [JSON.stringify(bus.options)]);
  });

  test("connects with NATS_TOKEN from the env parameter", { timeout: 30_000 }, async () => {
    const env = { NATS_URL: server.url, NATS_TOKEN: TOKEN };
    assert.equal((await loadOptions({}, { env, cwd })).options.auth.token, TOKEN);
    const { bus, lines } = await buses.connect({ env });
    await roundTrip(bus);
    await bus.drain();
    assertCleanLogs(lines);
  });

  test("wrong token → EB_ERR_CONNECT naming the server URL, never the token", { timeout: 30_000 }, async () => {
    const failed = await buses.failToConnect({ servers: [server.url], auth: { token: WRONG_TOKEN } });
    assert.ok(failed.err.message.includes(server.url), failed.err.message);
    assertNoSecrets("EB_ERR_CONNECT error", errorTexts(failed.err));
    assertNoSecrets("log line", failed.lines.map((line) => line.text));

    const fromEnv = await buses.failToConnect({ env: { NATS_URL: server.url, NATS_TOKEN: WRONG_TOKEN } });
    assertNoSecrets("EB_ERR_CONNECT error (NATS_TOKEN)", errorTexts(fromEnv.err));
  });

  test("a token in the URL (nats://TOKEN@host) connects and is redacted in the connected log line", { timeout: 30_000 }, async () => {
    const hostPort = `127.0.0.1:${server.port}`;
    const { bus, lines } = await buses.connect({ servers: [`nats://${TOKEN}@${hostPort}`] });
    await roundTrip(bus);
    assert.equal((connectedLine(lines).fields as { servers?: string }).servers, `nats://***@${hostPort}`);
    await bus.drain();
    assertCleanLogs(lines);
  });
});
