import { singleton } from "tsyringe";

/** In-memory counter owned by the listener process (a real service would use its database). */
@singleton()
export class OrderStats {
  #ordersSeen = 0;
  #unitsOrdered = 0;

  record(quantity: number): { ordersSeen: number; unitsOrdered: number } {
    this.#ordersSeen += 1;
    this.#unitsOrdered += quantity;
    return { ordersSeen: this.#ordersSeen, unitsOrdered: this.#unitsOrdered };
  }
}
