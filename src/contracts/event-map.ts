import type { MessageContext } from "../listeners/message-context.js";
import type { AnyContract } from "./contract.js";

/**
 * Subject → contract (or payload type) for string subjects. Empty by default: every
 * subject string is then untyped (`any` payload) for quick use. Fill it by module
 * augmentation, once per program, from the contracts you defined:
 *
 * ```ts
 * declare module "express-nats-events" {
 *   interface EventMap extends EventMapOf<[typeof OrderCreated, typeof QuoteRequested]> {}
 * }
 * ```
 * Then `publish("order.created", data)` and `@Listen("order.created")` are type-checked,
 * and a literal subject that is not in the map fails to compile (a `string`-typed subject
 * stays untyped). Passing the contract object itself needs no map at all.
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface EventMap {}

/** The EventMap entries of some contracts (a tuple, array or object of them). */
export type EventMapOf<T> = { [C in ContractsIn<T> as C["subject"]]: C };
type ContractsIn<T> = T extends readonly (infer C extends AnyContract)[] ? C : T extends Record<string, infer C extends AnyContract> ? C : never;

type Entry<S> = S extends AnyContract ? S : S extends keyof EventMap ? EventMap[S] : Untyped;
declare const untyped: unique symbol;
/** The entry of a subject nothing declares. */
interface Untyped {
  readonly [untyped]: true;
}
type Types<E> = E extends { readonly "~types"?: infer T } ? NonNullable<T> : never;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Field<E, K extends "input" | "output" | "replyInput" | "replyOutput", Plain, Fallback = any> = E extends Untyped ? Fallback : E extends AnyContract ? Types<E>[K] : Plain;

/** What publish()/request() accept for `S` (a contract, a declared subject, or `any` when untyped). */
export type PayloadInput<S> = Field<Entry<S>, "input", Entry<S>>;
/** What a @Listen handler of `S` receives. */
export type PayloadOutput<S> = Field<Entry<S>, "output", Entry<S>>;
/** What a responder of `S` returns (`unknown`: anything). */
export type ReplyInput<S> = Field<Entry<S>, "replyInput", unknown, unknown>;
/** What request() of `S` resolves with. */
export type ReplyOutput<S> = Field<Entry<S>, "replyOutput", unknown, unknown>;

/** A subject argument: a contract, or a string checked against EventMap (see EventMap). */
export type SubjectArg = string | AnyContract;

/** The error a literal subject missing from EventMap produces. */
export interface UndeclaredSubject {
  readonly "~error": "this subject is not declared in EventMap: declare its contract there, pass the contract itself, or pass a string-typed (untyped) subject";
}

type Wildcard = `${string}*${string}` | `${string}>`;

/** `S` when it may be used; else `S & UndeclaredSubject`, which no literal matches. */
export type CheckedSubject<S, AllowWildcards extends boolean = false> = S extends AnyContract
  ? S
  : string extends S
    ? S
    : S extends keyof EventMap
      ? S
      : [keyof EventMap] extends [never]
        ? S
        : AllowWildcards extends true
          ? S extends Wildcard
            ? S
            : S & UndeclaredSubject
          : S & UndeclaredSubject;

/** The data argument (optional when the payload may be undefined) followed by `Options`. */
export type DataArgs<S, Options> = undefined extends PayloadInput<S> ? [data?: PayloadInput<S>, options?: Options] : [data: PayloadInput<S>, options?: Options];

/** What a handler of `S` may return: the reply type for contracts with a reply schema, else anything. */
export type HandlerResult<S> = unknown extends ReplyInput<S> ? unknown : ReplyInput<S> | Promise<ReplyInput<S>>;

/** A @Listen handler of `S`. */
export type HandlerFor<S> = (data: PayloadOutput<S>, ctx: MessageContext) => HandlerResult<S>;

/** Marks "no explicit reply type given" in request<TReply>(). */
export declare const inferReply: unique symbol;
export type InferReply = typeof inferReply;
