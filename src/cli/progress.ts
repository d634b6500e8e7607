/** How a long CLI operation reports how far it is. */
export interface Progress {
  /** `done` of `total` finished; `what` names the last step. */
  update(done: number, what?: string): void;
  /** Ends the progress line (on a terminal). */
  done(): void;
}

/**
 * Progress of `label` over `total` steps. On a terminal, one line rewritten in place
 * (`provisioning 37/120 stream ORDERS`); otherwise (logs, pipes, CI) a line every
 * `every` steps and at the last one, so log files stay short.
 */
export function createProgress(label: string, total: number, { stream = process.stderr, every = Math.max(1, Math.ceil(total / 10)) }: { stream?: NodeJS.WriteStream; every?: number } = {}): Progress {
  const tty = stream.isTTY === true;
  let open = false;
  return {
    update(done, what) {
      const line = `${label} ${done}/${total}${what ? ` ${what}` : ""}`;
      if (tty) {
        stream.write(`\r\x1b[2K${line}`);
        open = true;
        if (done === total) this.done();
      } else if (done === total || done % every === 0) {
        stream.write(`${line}\n`);
      }
    },
    done() {
      if (tty && open) stream.write("\n");
      open = false;
    },
  };
}
