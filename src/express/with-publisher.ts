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

/**
 * Routes to a method of a controller class built by tsyringe (so it gets the
 * EventPublisher and anything else by constructor injection). Built once, on first use.
 *
 *   app.post("/orders", route(OrdersController, "create"))
 */
export function route<C extends object, K extends keyof C & string, Req = never, Res = never>(controller: InjectionToken<C>, method: K): Handler<Req, Res> {
  let instance: C | undefined;
  return forwardRejections((req: Req, res: Res, next) => {
    instance ??= container.resolve(controller);
    return (instance[method] as (req: Req, res: Res, next: Next) => unknown).call(instance, req, res, next);
  });
}
