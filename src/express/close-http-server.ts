import type { IncomingMessage, Server, ServerResponse } from "node:http";

/** The requests of one HTTP server that have not finished yet, so a stop can wait for them. */
export class RequestsInFlight {
  readonly #responses = new Set<ServerResponse>();
  #closing = false;

  constructor(private readonly server: Server) {
    // Prepended: it must see the response before the app's handler can send its headers.
    server.prependListener("request", (_request: IncomingMessage, response: ServerResponse) => {
      this.#responses.add(response);
      if (this.#closing) keepNoConnection(response);
      response.once("close", () => {
        this.#responses.delete(response);
        // The socket is idle now; without this, a keep-alive client would hold the server open.
        if (this.#closing) server.closeIdleConnections();
      });
    });
  }

  get size(): number {
    return this.#responses.size;
  }

  /**
   * Stops accepting connections, closes idle keep-alive sockets, lets the requests in flight
   * finish (their responses say `Connection: close`) and resolves once the server closed.
   * Requests still running after `timeoutMs` have their connections closed; resolves with
   * how many there were (0 when everything finished in time) without waiting further.
   */
  async close(timeoutMs: number): Promise<number> {
    this.#closing = true;
    for (const response of this.#responses) keepNoConnection(response);
    if (!this.server.listening) return 0;
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeIdleConnections();
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<"timeout">((resolve) => (timer = setTimeout(() => resolve("timeout"), timeoutMs)));
    const outcome = await Promise.race([closed, timedOut]);
    clearTimeout(timer);
    if (outcome !== "timeout") return 0;
    const cut = this.#responses.size;
    // Not awaited afterwards: upgraded sockets (WebSockets) are not the HTTP server's to close.
    this.server.closeAllConnections();
    return cut;
  }
}

/** Asks the client to close the connection after this response (if the headers are not sent yet). */
function keepNoConnection(response: ServerResponse): void {
  if (!response.headersSent) response.setHeader("Connection", "close");
}
