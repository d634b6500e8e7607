import "reflect-metadata";
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { container, injectable } from "tsyringe";
import { ErrorCodes, EventBus, defineEvent, defineListener, listenerRegistry, unchecked, type Logger, type MessageContext } from "../../src/index.js";
import { errorWithCode as rejects } from "../helpers/assertions.js";
import { uniqueName } from "../helpers/unique.js";

const silent: Logger = { debug() {}, info() {}, warn() {}, error() {} };

// Written as plain JavaScript would be: no decorators anywhere, so tsc emits no metadata for them.
class Greeter {
  greet(name: string): string {
    return `hello ${name}`;
  }
}

describe("defineListener: listeners without decorators", () => {
  let cwd: string;
  before(async () => {
    cwd = await mkdtemp(path.join(os.tmpdir(), "nats-events-define-"));
  });
  after(async () => {
    await rm(cwd, { recursive: true, force: true });
  });

  test("records into the @Listen registry and gets its constructor dependencies from inject", async () => {
    const subject = `${uniqueName("define")}.greet`;
    class GreetingWorker {
      constructor(private readonly greeter: Greeter, private readonly punctuation: string) {}
      answer(data: { name: string }, ctx: MessageContext): string {
        return `${this.greeter.greet(data.name)}${this.punctuation} (${ctx.subject})`;
      }
    }
    const token = uniqueName("punctuation");
    container.register(token, { useValue: "!" });
    assert.equal(defineListener(GreetingWorker, { inject: [Greeter, token], handlers: { answer: { subject, queueGroup: "greeters", options: { concurrency: 4 } } } }), GreetingWorker);
    assert.deepEqual(
      listenerRegistry.of(GreetingWorker).map(({ id, subject: s, queueGroup, options }) => ({ id, subject: s, queueGroup, options })),
      [{ id: "GreetingWorker.answer", subject, queueGroup: "greeters", options: { concurrency: 4 } }],
    );

    const bus = new EventBus();
    await bus.connect({ transport: "memory", logger: silent, env: {}, cwd });
    try {
      await bus.listen([GreetingWorker]);
      assert.equal(await bus.request(subject, { name: "Ada" }, { timeout: 1_000 }), `hello Ada! (${subject})`);
    } finally {
      await bus.close();
    }
  });

  test("a contract and several subjects for one method are declared the same way", () => {
    const contract = defineEvent(`${uniqueName("define")}.contract`, unchecked<{ id: string }>());
    class Audit {
      record(): void {}
    }
    defineListener(Audit, { handlers: { record: [{ subject: contract, queueGroup: "audit" }, { subject: "define.other.>", queueGroup: "audit" }] } });
    const specs = listenerRegistry.of(Audit);
    assert.deepEqual(specs.map((spec) => spec.subject), [contract.subject, "define.other.>"]);
    assert.equal(specs[0]!.contract, contract);
  });

  test("the checks of @Listen apply, with messages that name defineListener, the class and the method", () => {
    class Checked {
      handle(): void {}
    }
    assert.throws(() => defineListener(Checked, { handlers: { handle: { subject: "orders..created" } } }), rejects(ErrorCodes.INVALID_SUBJECT, 'defineListener(Checked) handler "handle"', '"orders..created"'));
    assert.throws(() => defineListener(Checked, { handlers: { handle: { subject: "a.b", options: { concurency: 2 } as never } } }), rejects(ErrorCodes.INVALID_LISTENER, 'unknown option "concurency"; did you mean "concurrency"?'));
    assert.throws(() => defineListener(Checked, { handlers: { handle: { subjet: "a.b" } as never } }), rejects(ErrorCodes.INVALID_LISTENER, 'unknown field "subjet"; did you mean "subject"?'));
    assert.throws(() => defineListener(Checked, { handlers: { hnadle: { subject: "a.b" } } }), rejects(ErrorCodes.INVALID_LISTENER, 'handler "hnadle" is not a method of the class'));
    assert.throws(() => defineListener(Checked, { handlers: {} }), rejects(ErrorCodes.INVALID_LISTENER, "at least one method"));
    defineListener(Checked, { handlers: { handle: { subject: "define.twice" } } });
    assert.throws(() => defineListener(Checked, { handlers: { handle: { subject: "define.twice" } } }), rejects(ErrorCodes.DUPLICATE_LISTENER, "declared twice"));
  });

  test("constructor dependencies must be listed: a missing or undefined one fails when the class is defined", () => {
    class NeedsTwo {
      constructor(readonly a: Greeter, readonly b: Greeter) {}
      handle(): void {}
    }
    assert.throws(() => defineListener(NeedsTwo, { inject: [Greeter], handlers: { handle: { subject: "a.b" } } }), rejects(ErrorCodes.INVALID_LISTENER, "takes 2 parameter(s) but inject lists 1"));
    assert.throws(() => defineListener(NeedsTwo, { inject: [Greeter, undefined as never], handlers: { handle: { subject: "a.b" } } }), rejects(ErrorCodes.INVALID_LISTENER, "inject[1] is undefined", "import cycle"));
    assert.equal(listenerRegistry.of(NeedsTwo).length, 0, "nothing recorded for a rejected definition");
  });

  test("@injectable classes and defineListener classes resolve from the same container", () => {
    @injectable()
    class Decorated {
      constructor(readonly greeter: Greeter) {}
    }
    class Plain {
      constructor(readonly decorated: Decorated) {}
      handle(): void {}
    }
    defineListener(Plain, { inject: [Decorated], handlers: { handle: { subject: `${uniqueName("define")}.plain` } } });
    assert.equal(container.resolve(Plain).decorated.greeter.greet("x"), "hello x");
  });
});
