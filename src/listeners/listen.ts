import { isContract } from "../contracts/contract.js";
import type { CheckedSubject, HandlerFor, SubjectArg } from "../contracts/event-map.js";
import { didYouMean } from "../did-you-mean.js";
import { ErrorCodes, EventBusError } from "../errors.js";
import { queueGroupProblem, subjectProblem } from "../subject.js";
import { listenerRegistry, type ListenOptions, type ListenerClass } from "./registry.js";

/**
 * The active process of an exclusive listener pulls at least once per pull expiry (3 s); a
 * shorter timeout would hand its place to another process while it is still alive.
 */
export const MIN_EXCLUSIVE_TIMEOUT_MS = 5_000;

/** Each option's check: undefined when fine, else what is wrong. */
const OPTION_CHECKS: Record<keyof ListenOptions, (value: unknown) => string | undefined> = {
  concurrency: (v) => (Number.isInteger(v) && (v as number) >= 1 ? undefined : "must be an integer >= 1"),
  durable: (v) => (typeof v === "boolean" ? undefined : "must be true or false"),
  ackWaitMs: (v) => (Number.isInteger(v) && (v as number) >= 1_000 ? undefined : "must be an integer >= 1000"),
  exclusive: (v) => (typeof v === "boolean" ? undefined : "must be true or false"),
  exclusiveTimeoutMs: (v) => (Number.isInteger(v) && (v as number) >= MIN_EXCLUSIVE_TIMEOUT_MS ? undefined : `must be an integer >= ${MIN_EXCLUSIVE_TIMEOUT_MS}`),
  retry: (v) => {
    if (v === null || typeof v !== "object") return "must be an object like { maxDeliver: 5, initialDelayMs: 1000, maxDelayMs: 60000 }";
    for (const [key, value] of Object.entries(v)) {
      if (!["maxDeliver", "initialDelayMs", "maxDelayMs"].includes(key)) return `has unknown field "${key}" (known: maxDeliver, initialDelayMs, maxDelayMs)`;
      const min = key === "maxDeliver" ? 1 : 0;
      if (!Number.isInteger(value) || (value as number) < min) return `field "${key}" must be an integer >= ${min}`;
    }
    return undefined;
  },
};

/** The decorator @Listen returns: it accepts only methods that take what the subject carries. */
export type ListenDecorator<S> = <M extends HandlerFor<S>>(target: object, propertyKey: string | symbol, descriptor: TypedPropertyDescriptor<M>) => void;

/**
 * Marks a method as the handler of `subject`: a contract (see defineEvent), or a subject
 * string (wildcards `*` and `>` allowed). With a contract, or a subject EventMap declares,
 * the method's first parameter must accept the contract's payload (checked at compile
 * time) and messages reach it only after they passed the contract's schema.
 * Handlers in one `queueGroup` share the messages across all processes; without
 * a group every process gets every message. The decorator only records:
 * nothing subscribes until register-listeners (or bus.listen) runs.
 *
 * The handler is called as `(data, ctx)`; a value it returns is sent as the
 * reply when the message was a request. Put tsyringe's `@injectable()` on the
 * class so its constructor dependencies are injected.
 *
 * Queue group names are identities: renaming one on a durable transport leaves
 * the old consumer behind.
 */
export function Listen<const S extends SubjectArg>(subjectOrContract: S & CheckedSubject<S, true>, queueGroup?: string, options: ListenOptions = {}): ListenDecorator<S> {
  return (target, propertyKey, descriptor) => {
    // On a static method `target` is the class itself; name that class, not Function.
    const listenerClass = (typeof target === "function" ? target : target.constructor) as ListenerClass;
    const where = `@Listen on ${listenerClass.name}.${String(propertyKey)}`;
    if (typeof target === "function") throw new EventBusError(ErrorCodes.INVALID_LISTENER, `${where}: must decorate an instance method, not a static one`);
    // Property decorators get no descriptor (possible from JavaScript or through a cast).
    if (typeof descriptor?.value !== "function") throw new EventBusError(ErrorCodes.INVALID_LISTENER, `${where}: must decorate a method`);
    recordHandler(where, { listenerClass, method: String(propertyKey), subject: subjectOrContract, queueGroup, options });
  };
}

/** One handler declaration, from @Listen or defineListener(). */
export interface HandlerRecord {
  readonly listenerClass: ListenerClass;
  readonly method: string;
  readonly subject: SubjectArg;
  readonly queueGroup?: string;
  readonly options?: ListenOptions;
}

/**
 * Checks one handler declaration (subject, queue group, options, not declared twice) and records
 * it in the registry. `where` starts each error message ("@Listen on Class.method: ...").
 */
export function recordHandler(where: string, { listenerClass, method, subject: subjectOrContract, queueGroup, options = {} }: HandlerRecord): void {
  const contract = isContract(subjectOrContract) ? subjectOrContract : undefined;
  const subject = (contract ? contract.subject : subjectOrContract) as string;
  const fail = (code: typeof ErrorCodes.INVALID_LISTENER | typeof ErrorCodes.INVALID_SUBJECT, problem: string) => {
    throw new EventBusError(code, `${where}: ${problem}`);
  };
  const subjectIssue = subjectProblem(subject, true);
  if (subjectIssue) fail(ErrorCodes.INVALID_SUBJECT, `subject ${JSON.stringify(subject)} ${subjectIssue}`);
  const groupIssue = queueGroup === undefined ? undefined : queueGroupProblem(queueGroup);
  if (groupIssue) fail(ErrorCodes.INVALID_SUBJECT, `queue group ${JSON.stringify(queueGroup)} ${groupIssue}`);
  for (const [key, value] of Object.entries(options)) {
    const check = OPTION_CHECKS[key as keyof ListenOptions];
    const known = Object.keys(OPTION_CHECKS);
    if (!check) fail(ErrorCodes.INVALID_LISTENER, `unknown option "${key}"${didYouMean(key, known)}; known: ${known.join(", ")}`);
    const problem = value === undefined ? undefined : check(value);
    if (problem) fail(ErrorCodes.INVALID_LISTENER, `option "${key}" ${problem}, got ${JSON.stringify(value)}`);
  }
  const exclusiveIssue = exclusiveProblem(queueGroup, options);
  if (exclusiveIssue) fail(ErrorCodes.INVALID_LISTENER, exclusiveIssue);
  const duplicate = listenerRegistry
    .of(listenerClass)
    .some((spec) => spec.method === method && spec.subject === subject && spec.queueGroup === queueGroup);
  if (duplicate) {
    throw new EventBusError(
      ErrorCodes.DUPLICATE_LISTENER,
      `${where}: subject "${subject}"${queueGroup ? ` with queue group "${queueGroup}"` : ""} is declared twice on this method`,
    );
  }
  const id = `${listenerClass.name}.${method}`;
  listenerRegistry.add({ target: listenerClass, method, subject, ...(contract && { contract }), queueGroup, options: { ...options }, id });
}

/**
 * What an exclusive listener needs besides its own options: a queue group (the processes that
 * take turns) and a durable consumer (the server picks the active one), and one message at a
 * time (the order is the point).
 */
function exclusiveProblem(queueGroup: string | undefined, options: ListenOptions): string | undefined {
  if (!options.exclusive) {
    return options.exclusiveTimeoutMs === undefined ? undefined : 'option "exclusiveTimeoutMs" applies only with exclusive: true';
  }
  if (queueGroup === undefined) return "exclusive: true needs a queue group (the processes that take turns), like @Listen(subject, \"billing\", { exclusive: true })";
  if (options.durable === false) return "exclusive: true needs a durable JetStream listener; remove durable: false";
  if (options.concurrency !== undefined && options.concurrency !== 1) {
    return `exclusive: true handles one message at a time, in order; remove concurrency: ${options.concurrency} (or set it to 1)`;
  }
  return undefined;
}
