import { singleton } from "tsyringe";

/** Stands in for a real mail client; the email listener gets it by constructor injection. */
@singleton()
export class Mailer {
  async send(to: string, subject: string): Promise<void> {
    // A real client would talk to SMTP here; one JSON line keeps the example observable.
    process.stdout.write(`${JSON.stringify({ event: "email.sent", to, subject, pid: process.pid })}\n`);
  }
}
