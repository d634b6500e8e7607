import type { StandardSchemaV1 } from "@standard-schema/spec";
import type { Codec } from "../codec/codec.js";
import { ErrorCodes, EventBusError } from "../errors.js";
import { subjectProblem } from "../subject.js";
import { parseDatePaths, type DatePaths } from "./date-paths.js";

const CONTRACT = Symbol.for("express-nats-events.contract");
const UNCHECKED_VENDOR = "express-nats-events/unchecked";

/** The static types a contract carries (never present at run time). */
export interface ContractTypes<In, Out, ReplyIn, ReplyOut> {
  /** What publish()/request() accept. */
  readonly input: In;
  /** What a @Listen handler receives. */
  readonly output: Out;
  /** What a responder returns. */
  readonly replyInput: ReplyIn;
  /** What request() resolves with. */
  readonly replyOutput: ReplyOut;
}

/**
 * The contract of one subject, shared by the services that publish and listen to it:
 * its payload schema (any Standard Schema validator: zod, valibot, arktype...), optionally
 * a codec for this subject only, the paths that hold Dates, and for requests the reply's
 * schema. Made by defineEvent(); pass it to publish()/request()/@Listen() in place of
 * the subject string.
 */
export interface EventContract<Subject extends string = string, In = unknown, Out = In, ReplyIn = unknown, ReplyOut = ReplyIn> {
  readonly subject: Subject;
  readonly schema: StandardSchemaV1<In, Out>;
  /** The reply's schema, for request-reply subjects. */
  readonly reply: StandardSchemaV1<ReplyIn, ReplyOut> | undefined;
  /** This subject's codec (default: the bus's). */
  readonly codec: Codec | undefined;
  /** The `dates` option as given. */
  readonly dates: readonly string[];
  /** Type-level only. */
  readonly "~types"?: ContractTypes<In, Out, ReplyIn, ReplyOut>;
}

/** Any contract, whatever its types. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyContract = EventContract<string, any, any, any, any>;

export interface ContractOptions<Out, Reply extends StandardSchemaV1 | undefined> {
  /** Paths that hold Dates (ISO 8601 strings on the wire), e.g. ["placedAt", "items[].shippedAt"]. */
  readonly dates?: readonly DatePaths<Out>[];
  /** Encode and decode this subject with this codec instead of the bus's (both sides must use the contract). */
  readonly codec?: Codec;
  /** For request-reply: the schema of the answer (checked by the responder before sending and by the requester on receipt). */
  readonly reply?: Reply;
}

type InputOf<S> = S extends StandardSchemaV1 ? StandardSchemaV1.InferInput<S> : unknown;
type OutputOf<S> = S extends StandardSchemaV1 ? StandardSchemaV1.InferOutput<S> : unknown;

/** What the runtime keeps of a contract, next to what the user sees. */
export interface ContractInternals {
  readonly datePaths: ReturnType<typeof parseDatePaths>;
  /** false for unchecked<T>() schemas: nothing to run per message. */
  readonly validates: boolean;
}

const internals = new WeakMap<AnyContract, ContractInternals>();
const bySubject = new Map<string, AnyContract>();

/**
 * Declares the contract of `subject`: its payload schema (any Standard Schema: zod,
 * valibot, arktype; or unchecked<T>() for types without a run-time check) and options.
 * Defining the same subject twice throws EB_ERR_DUPLICATE_CONTRACT: one place declares
 * each subject. The contract applies wherever the subject is used in this process
 * (publish, request and @Listen, by contract or by subject string).
 *
 * ```ts
 * export const OrderCreated = defineEvent("order.created", z.object({ id: z.string(), placedAt: z.date() }), { dates: ["placedAt"] });
 * ```
 */
export function defineEvent<const Subject extends string, Schema extends StandardSchemaV1, Reply extends StandardSchemaV1 | undefined = undefined>(
  subject: Subject,
  schema: Schema,
  options: ContractOptions<StandardSchemaV1.InferOutput<Schema>, Reply> = {},
): EventContract<Subject, StandardSchemaV1.InferInput<Schema>, StandardSchemaV1.InferOutput<Schema>, InputOf<Reply>, OutputOf<Reply>> {
  const problem = subjectProblem(subject, false);
  if (problem) throw new EventBusError(ErrorCodes.INVALID_SUBJECT, `defineEvent(${JSON.stringify(subject)}): the subject ${problem}`);
  const fail = (what: string) => new EventBusError(ErrorCodes.INVALID_CONTRACT, `defineEvent("${subject}"): ${what}`);
  if (!isStandardSchema(schema)) throw fail(`the schema must be a Standard Schema (zod 3.24+, valibot 1+, arktype 2+, or unchecked<T>()), got ${describe(schema)}`);
  const known = ["dates", "codec", "reply"];
  for (const key of Object.keys(options ?? {})) if (!known.includes(key)) throw fail(`unknown option "${key}"; known: ${known.join(", ")}`);
  if (options.reply !== undefined && !isStandardSchema(options.reply)) throw fail(`option "reply" must be a Standard Schema, got ${describe(options.reply)}`);
  const codec = options.codec;
  if (codec !== undefined && (typeof codec?.encode !== "function" || typeof codec.decode !== "function" || typeof codec.contentType !== "string")) {
    throw fail(`option "codec" must have encode(value, subject), decode(bytes, subject) and a contentType string`);
  }
  const datePaths = parseDatePaths(subject, options.dates);
  const contract = Object.freeze({
    subject,
    schema,
    reply: options.reply,
    codec,
    dates: Object.freeze([...((options.dates ?? []) as readonly string[])]),
    [CONTRACT]: true,
  }) as unknown as EventContract<Subject, StandardSchemaV1.InferInput<Schema>, StandardSchemaV1.InferOutput<Schema>, InputOf<Reply>, OutputOf<Reply>>;
  const existing = bySubject.get(subject);
  if (existing) {
    throw new EventBusError(
      ErrorCodes.DUPLICATE_CONTRACT,
      `defineEvent("${subject}"): this subject already has a contract; declare each subject once (in a module both sides import) and import it where it is used`,
    );
  }
  bySubject.set(subject, contract);
  internals.set(contract, { datePaths, validates: schema["~standard"].vendor !== UNCHECKED_VENDOR });
  return contract;
}

/**
 * A schema that only carries a type: `defineEvent("audit.logged", unchecked<AuditEntry>())`
 * type-checks both sides but validates nothing at run time (and costs nothing per message).
 */
export function unchecked<T>(): StandardSchemaV1<T, T> {
  return { "~standard": { version: 1, vendor: UNCHECKED_VENDOR, validate: (value) => ({ value: value as T }) } };
}

export function isContract(value: unknown): value is AnyContract {
  return typeof value === "object" && value !== null && (value as { [CONTRACT]?: unknown })[CONTRACT] === true;
}

export function contractInternals(contract: AnyContract): ContractInternals {
  return internals.get(contract)!;
}

/** The contracts defineEvent() recorded, by subject. */
export const contractRegistry = {
  get size(): number {
    return bySubject.size;
  },
  get(subject: string): AnyContract | undefined {
    return bySubject.get(subject);
  },
  all(): AnyContract[] {
    return [...bySubject.values()];
  },
};

function isStandardSchema(value: unknown): value is StandardSchemaV1 {
  const props = (value as { "~standard"?: { validate?: unknown; version?: unknown } } | null | undefined)?.["~standard"];
  return (typeof value === "object" || typeof value === "function") && value !== null && typeof props?.validate === "function" && props.version === 1;
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (typeof value === "object") return `an object without a "~standard" property (keys: ${Object.keys(value).slice(0, 5).join(", ") || "none"})`;
  return typeof value;
}
