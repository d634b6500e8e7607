// The nats-events command as a user types it: publish, request, --help, and the
// errors a user meets first (bad JSON argument, a glob that matches nothing).
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { startNatsServer, type NatsServer } from "../helpers/nats-server.js";
import { ProcessGroup, fixture, type TestProcess } from "../helpers/processes.js";
import { uniqueName } from "../helpers/unique.js";

const group = new ProcessGroup();
let nats: NatsServer | undefined;
let listener: TestProcess;
let subject: string;

before(async () => {
  nats = await startNatsServer({ jetstream: false });
  subject = `e2e.cli.${uniqueName("echo")}`;
  listener = await group.listeners([fixture("echo.listener.js")], { name: "echo-listener", env: { NATS_URL: nats.url, E2E_ECHO_SUBJECT: subject } });
});

after(async () => {
  await group.killAll();
  await nats?.stop();
});

describe("nats-events CLI", () => {
  test("publish <subject> '<json>' reaches a listener process", async () => {
    const run = await group.run(["publish", subject, '{"a":1}'], { name: "publish", env: { NATS_URL: nats!.url } });
    assert.equal(run.exit?.code, 0, run.output());
    assert.deepEqual(run.stdoutLines.filter(Boolean), [`published to ${subject}`]);
    const [line] = await listener.waitForEvents("handled", 1, 10_000, (record) => !record.request);
    assert.deepEqual(line, { event: "handled", subject, data: { a: 1 }, request: false, pid: listener.pid });
  });

  test("request <subject> '<json>' prints the reply as JSON (server from --server)", async () => {
    const run = await group.run(["request", subject, '{"id":"q-1","qty":2}', "--server", nats!.url, "--timeout", "3000"], { name: "request" });
    assert.equal(run.exit?.code, 0, run.output());
    assert.deepEqual(JSON.parse(run.stdoutLines.join("\n")), { echo: { id: "q-1", qty: 2 }, pid: listener.pid });
    assert.equal(listener.events("handled").filter((record) => record.id === "q-1" && record.request === true).length, 1);
  });

  test("request to a subject nobody listens on exits 1 with EB_ERR_NO_RESPONDERS", async () => {
    const run = await group.run(["request", `e2e.cli.${uniqueName("nobody")}`, "{}"], { name: "request (no responders)", env: { NATS_URL: nats!.url } });
    assert.equal(run.exit?.code, 1, run.output());
    assert.match(run.stderrLines.join("\n"), /^nats-events: EB_ERR_NO_RESPONDERS: no responders/m);
  });

  test("--help works for the program and every command", async () => {
    const cases: Array<[string[], RegExp[]]> = [
      [["--help"], [/^Usage: nats-events /m, /register-listeners/, /publish/, /request/]],
      [["register-listeners", "--help"], [/^Usage: nats-events register-listeners \[options\] \[modules\.\.\.\]/m, /SIGTERM/, /--config/, /--server/]],
      [["publish", "--help"], [/^Usage: nats-events publish \[options\] <subject> \[json\]/m, /--server/]],
      [["request", "--help"], [/^Usage: nats-events request \[options\] <subject> \[json\]/m, /--timeout/]],
    ];
    const runs = await Promise.all(cases.map(([args]) => group.run(args, { name: `nats-events ${args.join(" ")}` })));
    runs.forEach((run, i) => {
      const [args, patterns] = cases[i]!;
      assert.equal(run.exit?.code, 0, `${args.join(" ")}\n${run.output()}`);
      const text = run.stdoutLines.join("\n");
      for (const pattern of patterns) assert.match(text, pattern, `nats-events ${args.join(" ")}`);
    });
  });

  test("a payload that is not JSON exits 1 with a clear message, before connecting", async () => {
    const runs = await Promise.all([
      group.run(["publish", subject, "{a:1}"], { name: "publish bad json", env: { NATS_URL: nats!.url } }),
      group.run(["request", subject, "not json"], { name: "request bad json", env: { NATS_URL: nats!.url } }),
    ]);
    for (const run of runs) {
      assert.equal(run.exit?.code, 1, run.output());
      const message = run.stderrLines.join("\n");
      assert.match(message, /^nats-events: EB_ERR_ENCODE: the payload argument is not valid JSON/m);
      assert.match(message, /quote it for the shell/);
      assert.ok(!run.stdoutLines.some((line) => line.startsWith("published")), "nothing was published");
    }
    assert.equal(listener.events("handled").filter((record) => record.data === undefined || JSON.stringify(record.data).includes("a:1")).length, 0);
  });

  test("listeners exits 1 for a class tsyringe cannot build, with the message register-listeners gives", async () => {
    const module = fixture("forgot-injectable.listener.js");
    const check = await group.run(["listeners", module], { name: "listeners (unbuildable)" });
    assert.equal(check.exit?.code, 1, check.output());
    const message = check.stderrLines.find((line) => line.includes("EB_ERR_LISTENER_RESOLVE"));
    assert.ok(message, check.output());
    assert.match(message, /cannot build listener class ForgotInjectableListener \(for ForgotInjectableListener\.onTick\)/);
    // The memory transport needs no server: the process gets as far as building the classes.
    const run = await group.run(["register-listeners", module, "-t", "memory"], { name: "register-listeners (unbuildable)" });
    assert.equal(run.exit?.code, 1, run.output());
    assert.ok(run.stderrLines.includes(message), `register-listeners should fail with the same line:\n${message}\n${run.output()}`);
  });

  test("register-listeners with a glob that matches nothing exits 1 with EB_ERR_MODULE_LOAD naming the pattern", async () => {
    const pattern = "dist/test/fixtures/no-such-*.listener.js";
    const run = await group.run(["register-listeners", pattern], { name: "register-listeners (no match)", env: { NATS_URL: nats!.url } });
    assert.equal(run.exit?.code, 1, run.output());
    const message = run.stderrLines.join("\n");
    assert.match(message, /^nats-events: EB_ERR_MODULE_LOAD: /m);
    assert.ok(message.includes(`"${pattern}"`), message);
    assert.match(message, /matched no file/);
  });
});
