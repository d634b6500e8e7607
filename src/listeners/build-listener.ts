import type { DependencyContainer } from "tsyringe";
import { ErrorCodes, EventBusError, describeError } from "../errors.js";
import type { ListenerSpec } from "./registry.js";

/**
 * Builds the instance of a listener's class through tsyringe. The one place that says what is
 * wrong when it cannot: register-listeners and the offline `nats-events listeners` check give the
 * same EB_ERR_LISTENER_RESOLVE message.
 */
export function buildListener(container: DependencyContainer, spec: ListenerSpec): object {
  try {
    return container.resolve(spec.target);
  } catch (err) {
    throw new EventBusError(
      ErrorCodes.LISTENER_RESOLVE,
      `cannot build listener class ${spec.target.name} (for ${spec.id}): ${describeError(err)}. ` +
        `Is the class decorated with @injectable() (or declared with defineListener({ inject })) and is every constructor dependency registered?`,
      { cause: err },
    );
  }
}
