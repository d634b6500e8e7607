import { injectable, type InjectionToken } from "tsyringe";
import type { SubjectArg } from "../contracts/event-map.js";
import { didYouMean } from "../did-you-mean.js";
import { ErrorCodes, EventBusError } from "../errors.js";
import { recordHandler } from "./listen.js";
import type { ListenOptions, ListenerClass } from "./registry.js";

/** One handler of a listener declared without decorators: what `@Listen(subject, queueGroup, options)` takes. */
export interface HandlerDeclaration {
  /** A subject string (wildcards allowed) or a contract from defineEvent(). */
  readonly subject: SubjectArg;
  readonly queueGroup?: string;
  readonly options?: ListenOptions;
}

const DECLARATION_KEYS = ["subject", "queueGroup", "options"];

export interface ListenerDefinition {
  /** The constructor's dependencies, in parameter order: classes, or tokens registered in the container. */
  readonly inject?: readonly InjectionToken[];
  /** Method name → the subject it handles (one declaration, or several for one method). */
  readonly handlers: Readonly<Record<string, HandlerDeclaration | readonly HandlerDeclaration[]>>;
}

/**
 * Declares a listener class without decorator syntax (plain JavaScript, or TypeScript without
 * `experimentalDecorators`): the same registry and the same checks as `@Listen`, and the
 * constructor dependencies listed in `inject`, as `@injectable()` would read them from emitted
 * metadata. Like the decorators it only records; register-listeners subscribes. Returns the class.
 *
 * ```js
 * class OrderEmails { constructor(mailer) { this.mailer = mailer; } async onCreated(order) { ... } }
 * defineListener(OrderEmails, { inject: [Mailer], handlers: { onCreated: { subject: "order.created", queueGroup: "emails" } } });
 * ```
 */
export function defineListener<C extends ListenerClass>(listenerClass: C, definition: ListenerDefinition): C {
  const name = typeof listenerClass === "function" ? listenerClass.name || "(anonymous class)" : String(listenerClass);
  const fail = (problem: string): never => {
    throw new EventBusError(ErrorCodes.INVALID_LISTENER, `defineListener(${name}): ${problem}`);
  };
  if (typeof listenerClass !== "function") fail("the first argument must be the listener class");
  const { inject = [], handlers } = definition ?? {};
  if (!Array.isArray(inject)) fail("inject must be a list of the constructor's dependencies, in parameter order");
  inject.forEach((token, index) => {
    // undefined here is nearly always an import cycle: the dependency's module had not finished loading.
    if (!["function", "string", "symbol"].includes(typeof token)) fail(`inject[${index}] is ${String(token)}; expected a class or an injection token (an import cycle?)`);
  });
  if (inject.length < listenerClass.length) {
    fail(`the constructor takes ${listenerClass.length} parameter(s) but inject lists ${inject.length}; list every dependency, in order`);
  }
  if (handlers === null || typeof handlers !== "object" || Object.keys(handlers).length === 0) {
    fail('handlers must name at least one method, like { onCreated: { subject: "order.created", queueGroup: "emails" } }');
  }
  for (const method of Object.keys(handlers)) {
    if (typeof (listenerClass.prototype as Record<string, unknown>)[method] !== "function") fail(`handler "${method}" is not a method of the class`);
  }
  for (const [method, declarations] of Object.entries(handlers)) {
    for (const declaration of [declarations].flat() as HandlerDeclaration[]) {
      const unknown = Object.keys(declaration ?? {}).find((key) => !DECLARATION_KEYS.includes(key));
      if (unknown !== undefined) fail(`handler "${method}" has unknown field "${unknown}"${didYouMean(unknown, DECLARATION_KEYS)}; known: ${DECLARATION_KEYS.join(", ")}`);
      recordHandler(`defineListener(${name}) handler "${method}"`, { listenerClass, method, ...declaration });
    }
  }
  Reflect.defineMetadata("design:paramtypes", [...inject], listenerClass);
  injectable()(listenerClass);
  return listenerClass;
}
