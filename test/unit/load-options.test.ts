import assert from "node:assert/strict";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { ErrorCodes, EventBusError, defaultOptions, environmentVariables, loadOptions, type EventBusOptionsInput } from "../../src/index.js";

let root: string;
let counter = 0;

/** A fresh directory (under one temp root) holding the given files. */
async function project(files: Record<string, string> = {}): Promise<string> {
  const dir = path.join(root, `project-${++counter}`);
  await mkdir(dir, { recursive: true });
  for (const [name, content] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(dir, name)), { recursive: true });
    await writeFile(path.join(dir, name), content);
  }
  return dir;
}

function configError(...mentions: string[]) {
  return (err: unknown) => {
    assert.ok(err instanceof EventBusError, `expected EventBusError, got ${String(err)}`);
    assert.equal(err.code, ErrorCodes.CONFIG, err.message);
    for (const mention of mentions) assert.ok(err.message.includes(mention), `"${err.message}" should mention ${mention}`);
    return true;
  };
}

function neverShows(secret: string, code = ErrorCodes.CONFIG) {
  return (err: unknown) => {
    assert.ok(err instanceof EventBusError, `expected EventBusError, got ${String(err)}`);
    assert.equal(err.code, code, err.message);
    assert.ok(!err.message.includes(secret), `the secret leaked into: ${err.message}`);
    assert.ok(!String(err.stack).includes(secret), "the secret leaked into the stack");
    return true;
  };
}

describe("loadOptions", () => {
  before(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), "nats-events-options-"));
  });
  after(async () => {
    await rm(root, { recursive: true, force: true });
  });

  test("with nothing configured the defaults apply and no config file is reported", async () => {
    const cwd = await project();
    const { options, configFile } = await loadOptions({}, { cwd, env: {} });
    assert.equal(configFile, undefined);
    assert.deepEqual({ ...options, tls: undefined }, { ...defaultOptions, tls: undefined });
  });

  test("precedence: defaults < config file < code < environment, nested objects merged key by key", async () => {
    const cwd = await project({
      "package.json": JSON.stringify({ name: "app", type: "module" }),
      "nats-events.config.js": `export default {
        name: "from-file", requestTimeoutMs: 111, drainTimeoutMs: 333, servers: ["nats://file:4222"],
        reconnect: { waitMs: 10 }, listeners: ["dist/listeners/*.js"],
      };\n`,
    });
    const code: EventBusOptionsInput = { name: "from-code", requestTimeoutMs: 222, reconnect: { maxAttempts: 3 } };
    const env = { NATS_NAME: "from-env", NATS_URL: "nats://env-a:4222, nats://env-b:4222", NATS_DRAIN_TIMEOUT_MS: "444", UNRELATED: "x" };
    const { options, configFile } = await loadOptions(code, { cwd, env });

    assert.equal(configFile, path.join(cwd, "nats-events.config.js"));
    assert.equal(options.name, "from-env", "environment beats code");
    assert.deepEqual(options.servers, ["nats://env-a:4222", "nats://env-b:4222"], "NATS_URL is a comma-separated list");
    assert.equal(options.drainTimeoutMs, 444, "environment beats the config file");
    assert.equal(options.requestTimeoutMs, 222, "code beats the config file");
    assert.deepEqual(options.listeners, ["dist/listeners/*.js"], "the config file beats defaults");
    assert.equal(options.connectTimeoutMs, defaultOptions.connectTimeoutMs, "untouched options keep their default");
    assert.deepEqual(options.reconnect, { ...defaultOptions.reconnect, waitMs: 10, maxAttempts: 3 }, "nested objects merge per key");
  });

  test("the natsEvents key of package.json is a config file, found from a subdirectory", async () => {
    const cwd = await project({ "package.json": JSON.stringify({ name: "app", natsEvents: { transport: "memory", deadLetterPrefix: "dlq" } }) });
    const nested = path.join(cwd, "src", "deep");
    await mkdir(nested, { recursive: true });
    const { options, configFile } = await loadOptions({}, { cwd: nested, env: {} });
    assert.equal(configFile, path.join(cwd, "package.json"));
    assert.equal(options.transport, "memory");
    assert.equal(options.deadLetterPrefix, "dlq");
  });

  test("an explicit configFile is read instead of searching", async () => {
    const cwd = await project({
      "nats-events.config.cjs": "module.exports = { name: 'searched' };\n",
      "config/other.cjs": "module.exports = { name: 'explicit' };\n",
    });
    const { options, configFile } = await loadOptions({}, { cwd, configFile: "config/other.cjs", env: {} });
    assert.equal(options.name, "explicit");
    assert.equal(configFile, path.join(cwd, "config", "other.cjs"));
  });

  test("a config file that does not load is EB_ERR_CONFIG naming it", async () => {
    const cwd = await project({ "nats-events.config.cjs": "module.exports = { name: ;\n" });
    await assert.rejects(loadOptions({}, { cwd, env: {} }), configError("cannot read"));
    await assert.rejects(loadOptions({}, { cwd, configFile: "missing.cjs", env: {} }), configError("missing.cjs"));
  });

  test("a syntax error names the file, the line and the column (ES module and CommonJS)", async () => {
    const esm = await project({ "package.json": '{ "type": "module" }', "nats-events.config.js": 'export default {\n  name: "x",,\n};\n' });
    await assert.rejects(loadOptions({}, { cwd: esm, env: {} }), configError(`cannot read config file ${path.join(esm, "nats-events.config.js")} (line 2, column 13): Unexpected token ','`));
    const cjs = await project({ "nats-events.config.cjs": "module.exports = {\n  name: ;\n};\n" });
    await assert.rejects(loadOptions({}, { cwd: cjs, env: {} }), configError(`config file ${path.join(cjs, "nats-events.config.cjs")} (line 2, column 9)`));
  });

  test("an error thrown while the file runs names its line; a JSON error in package.json too", async () => {
    const throwing = await project({ "nats-events.config.mjs": 'const servers = process.env.X.split(",");\nexport default { servers };\n' });
    await assert.rejects(loadOptions({}, { cwd: throwing, env: {} }), configError("nats-events.config.mjs (line 1, column", "Cannot read properties of undefined"));
    const pkg = await project({ "package.json": '{\n  "name": "x",\n  "natsEvents": { "name": "y", }\n}\n' });
    await assert.rejects(loadOptions({}, { cwd: pkg, env: {} }), configError(`config file ${path.join(pkg, "package.json")} (line 3`));
  });

  test("CommonJS config files load: nats-events.config.cjs anywhere, module.exports in .js without \"type\": \"module\"", async () => {
    const cjs = await project({ "package.json": '{ "type": "module" }', "nats-events.config.cjs": "module.exports = { name: 'from-cjs', listeners: ['dist/*.js'] };\n" });
    assert.equal((await loadOptions({}, { cwd: cjs, env: {} })).options.name, "from-cjs");
    const js = await project({ "package.json": '{ "name": "commonjs-app" }', "nats-events.config.js": "module.exports = { name: 'from-js' };\n" });
    assert.equal((await loadOptions({}, { cwd: js, env: {} })).options.name, "from-js");
  });

  test("module.exports in an ES module package says what to write instead", async () => {
    const cwd = await project({ "package.json": '{ "type": "module" }', "nats-events.config.js": "module.exports = { name: 'x' };\n" });
    await assert.rejects(loadOptions({}, { cwd, env: {} }), configError("nats-events.config.js (line 1", "write export default { ... }, or rename it to nats-events.config.cjs"));
  });

  test("a non-numeric environment number is EB_ERR_CONFIG naming the variable and the option", async () => {
    const cwd = await project();
    await assert.rejects(loadOptions({}, { cwd, env: { NATS_CONNECT_TIMEOUT_MS: "5s" } }), configError("NATS_CONNECT_TIMEOUT_MS", "connectTimeoutMs", '"5s"'));
    await assert.rejects(loadOptions({}, { cwd, env: { NATS_MAX_RECONNECT_ATTEMPTS: "1.5" } }), configError("NATS_MAX_RECONNECT_ATTEMPTS"));
  });

  test("an out-of-range environment number is EB_ERR_CONFIG naming the variable too", async () => {
    const cwd = await project();
    await assert.rejects(loadOptions({}, { cwd, env: { NATS_CONNECT_TIMEOUT_MS: "0" } }), configError("NATS_CONNECT_TIMEOUT_MS", "connectTimeoutMs", ">= 1"));
    await assert.rejects(loadOptions({}, { cwd, env: { NATS_EVENTS_LOG_LEVEL: "loud" } }), configError("NATS_EVENTS_LOG_LEVEL", '"loud"'));
  });

  test("empty or blank environment variables are ignored", async () => {
    const cwd = await project();
    const { options } = await loadOptions({ name: "code" }, { cwd, env: { NATS_NAME: "   ", NATS_URL: "" } });
    assert.equal(options.name, "code");
    assert.deepEqual(options.servers, defaultOptions.servers);
  });

  test("unknown keys are EB_ERR_CONFIG naming the key and where it came from", async () => {
    const cwd = await project();
    await assert.rejects(loadOptions({ servres: ["nats://x"] } as EventBusOptionsInput, { cwd, env: {} }), configError('"servres"', "bus.connect() options"));
    await assert.rejects(loadOptions({ servres: ["nats://x"] } as EventBusOptionsInput, { cwd, env: {} }), configError('did you mean "servers"?'));
    await assert.rejects(loadOptions({ retry: { maxDelivr: 3 } } as EventBusOptionsInput, { cwd, env: {} }), configError('"retry.maxDelivr"', 'did you mean "retry.maxDeliver"?'));
    // Nothing close: the list of every known option instead.
    await assert.rejects(loadOptions({ colour: "blue" } as EventBusOptionsInput, { cwd, env: {} }), configError('"colour"', "known options: transport, servers"));
    await assert.rejects(loadOptions({ reconnect: { tries: 2 } } as EventBusOptionsInput, { cwd, env: {} }), configError('"reconnect.tries"'));
    const withFile = await project({ "nats-events.config.cjs": "module.exports = { requestTimeout: 5 };\n" });
    await assert.rejects(loadOptions({}, { cwd: withFile, env: {} }), configError('"requestTimeout"', "nats-events.config.cjs"));
  });

  test("invalid values are EB_ERR_CONFIG naming the option, its source and the expectation", async () => {
    const cwd = await project();
    await assert.rejects(loadOptions({ requestTimeoutMs: -5 }, { cwd, env: {} }), configError('"requestTimeoutMs"', "bus.connect() options", ">= 1", "-5"));
    await assert.rejects(loadOptions({ servers: [] }, { cwd, env: {} }), configError('"servers"', "at least one"));
    await assert.rejects(loadOptions({ logLevel: "verbose" as "info" }, { cwd, env: {} }), configError('"logLevel"', '"debug"'));
    await assert.rejects(loadOptions({ auth: "secret" as unknown as EventBusOptionsInput["auth"] }, { cwd, env: {} }), configError('"auth"', "must be an object"));
    await assert.rejects(loadOptions({ connectTimeoutMs: 10n as unknown as number }, { cwd, env: {} }), configError('"connectTimeoutMs"', "10"));
  });

  test("secret values are never echoed in config errors", async () => {
    const cwd = await project();
    const secret = "hunter2-s3cr3t";
    const bad = (auth: unknown) => loadOptions({ auth: auth as EventBusOptionsInput["auth"] }, { cwd, env: {} });
    await assert.rejects(bad({ pass: [secret] }), neverShows(secret));
    await assert.rejects(bad({ user: { name: secret } }), neverShows(secret));
    await assert.rejects(bad({ token: [secret] }), neverShows(secret));
    await assert.rejects(bad({ nkeySeed: [secret] }), neverShows(secret));
    await assert.rejects(bad({ passwrod: secret }), neverShows(secret));
    await assert.rejects(bad({ pass: [secret] }), configError('"auth.pass"', "(value hidden)"));
    const inFile = await project({ "nats-events.config.cjs": `module.exports = { auth: { token: ["${secret}"] } };\n` });
    await assert.rejects(loadOptions({}, { cwd: inFile, env: {} }), neverShows(secret));
  });

  test("credentials inside server URLs are never echoed in config errors", async () => {
    const cwd = await project();
    const url = "nats://alice:s3cret-pw@127.0.0.1:4222";
    await assert.rejects(loadOptions({ servers: url as unknown as string[] }, { cwd, env: {} }), neverShows("s3cret-pw"));
    await assert.rejects(loadOptions({ servers: [url, ""] }, { cwd, env: {} }), neverShows("s3cret-pw"));
    await assert.rejects(loadOptions({ servers: [url, ""] }, { cwd, env: {} }), configError('"servers"', "nats://***@127.0.0.1:4222"));
  });

  test("secrets from the environment are taken as they are", async () => {
    const cwd = await project();
    const { options } = await loadOptions({}, { cwd, env: { NATS_USER: "alice", NATS_PASSWORD: "pw with spaces ", NATS_TOKEN: "tok" } });
    assert.deepEqual(options.auth, { user: "alice", pass: "pw with spaces", token: "tok" });
  });

  test("every environment variable maps to a known option", () => {
    assert.equal(environmentVariables.NATS_URL, "servers");
    assert.equal(environmentVariables.NATS_PASSWORD, "auth.pass");
    for (const [name, option] of Object.entries(environmentVariables)) {
      assert.match(name, /^NATS_/);
      assert.ok(option.length > 0);
    }
  });
});
