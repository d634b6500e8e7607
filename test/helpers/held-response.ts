import http from "node:http";

/** A response whose headers arrived; its body may still be on its way. */
export interface OpenResponse {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  /** Resolves with the body when the server ends it; rejects when the connection closes first. */
  readonly body: Promise<string>;
}

/**
 * Sends a request and resolves as soon as the response's headers arrive, so a test can act
 * (stop the server) while the body is still in flight, then await `body`.
 */
export function openRequest(method: "GET" | "POST", url: string, options: { agent?: http.Agent; timeoutMs?: number } = {}): Promise<OpenResponse> {
  const timeoutMs = options.timeoutMs ?? 20_000;
  return new Promise((resolve, reject) => {
    const request = http.request(url, { method, agent: options.agent }, (response) => {
      const body = new Promise<string>((done, broken) => {
        let text = "";
        response.setEncoding("utf8");
        response.on("data", (chunk: string) => (text += chunk));
        response.once("end", () => done(text));
        response.once("aborted", () => broken(new Error(`${method} ${url}: the connection closed before the response ended (got ${JSON.stringify(text)})`)));
        response.once("error", broken);
      });
      body.catch(() => undefined); // the test awaits it later; a broken body must not count as unhandled meanwhile
      resolve({ status: response.statusCode!, headers: response.headers, body });
    });
    request.setTimeout(timeoutMs, () => request.destroy(new Error(`${method} ${url}: no response within ${timeoutMs} ms`)));
    request.once("error", reject);
    request.end();
  });
}
