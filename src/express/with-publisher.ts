import { container, type InjectionToken } from "tsyringe";
import { EventPublisher } from "../bus/event-publisher.js";

// Structural types keep this working with the handler types of Express 4 and 5 alike.
type Next = (err?: unknown) => void;
type Handler<Req, Res> = (req: Req, res: Res, next: Next) => void;

/** Express 4 ignores rejected promises; pass them to `next` so the error handler runs. */
function forwardRejections<Req, Res>(call: (req: Req, res: Res, next: Next) => unknown): Handler<Req, Res> {
  return (req, res, next) => {
    Promise.resolve()
      .then(() => call(req, res, next))
      .catch(next);
  };
}

/**
 * One line for plain function handlers: the publisher comes first.
 *
 *   app.post("/orders", withPublisher(async (events, req, res) => { ... }))
 */
export function withPublisher<Req, Res>(
  handler: (events: EventPublisher, req: Req, res: Res, next: Next) => unknown,
): Handler<Req, Res> {
  return forwardRejections((req: Req, res: Res, next) => handler(container.resolve(EventPublisher), req, res, next));
}

type RouteMethod<Req, Res> = (req: Req, res: Res, next: Next) => unknown;
type MethodsOf<C> = { [K in keyof C]: C[K] extends RouteMethod<never, never> ? K : never }[keyof C] & string;

/**
 * Routes to a method of a controller class built by tsyringe (so it gets the
 * EventPublisher and anything else by constructor injection). Built once, on first use.
 *
 *   app.post("/orders", route(OrdersController, "create"))
 */
export function route<C extends object, K extends MethodsOf<C>>(
  controller: InjectionToken<C>,
  method: K,
): C[K] extends RouteMethod<infer Req, infer Res> ? Handler<Req, Res> : never {
  let instance: C | undefined;
  const handler = forwardRejections((req: unknown, res: unknown, next) => {
    instance ??= container.resolve(controller);
    return (instance[method] as RouteMethod<unknown, unknown>).call(instance, req, res, next);
  });
  return handler as C[K] extends RouteMethod<infer Req, infer Res> ? Handler<Req, Res> : never;
}
