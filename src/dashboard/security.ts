import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";

const CSRF_COOKIE = "eb_dashboard_csrf";
export const CSRF_FIELD = "_csrf";

/**
 * Every answer: no caching, no framing, no sniffing, and a Content-Security-Policy that runs
 * only the dashboard's own script and style files, so even markup that escaped escaping
 * could not run.
 */
export function setSecurityHeaders(res: ServerResponse): void {
  res.setHeader(
    "content-security-policy",
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  );
  res.setHeader("x-content-type-options", "nosniff");
  res.setHeader("x-frame-options", "DENY");
  res.setHeader("referrer-policy", "same-origin");
  res.setHeader("cache-control", "no-store");
}

/**
 * CSRF protection without server-side sessions: a random value in an HttpOnly, SameSite=Strict
 * cookie, and in each form its HMAC under a secret only the server knows (so a cookie planted
 * by a sibling subdomain does not help a forger). POSTs must carry the matching token, and
 * when the browser says where a request comes from (Origin, Sec-Fetch-Site), it must be this site.
 */
export class CsrfGuard {
  readonly #secret: Buffer;

  constructor(secret?: string) {
    this.#secret = secret ? Buffer.from(secret) : randomBytes(32);
  }

  /** The token for this browser's forms (setting its cookie when it has none). */
  tokenFor(req: IncomingMessage, res: ServerResponse, cookiePath: string): string {
    let nonce = cookie(req, CSRF_COOKIE);
    if (!nonce || !/^[A-Za-z0-9_-]{43}$/.test(nonce)) {
      nonce = randomBytes(32).toString("base64url");
      const secure = (req.socket as { encrypted?: boolean }).encrypted ? "; Secure" : "";
      res.appendHeader("set-cookie", `${CSRF_COOKIE}=${nonce}; Path=${cookiePath}; HttpOnly; SameSite=Strict${secure}`);
    }
    return this.#sign(nonce);
  }

  /** Why this POST is refused, or undefined when its token, origin and fetch site are right. */
  refusal(req: IncomingMessage, token: string | undefined): string | undefined {
    const site = req.headers["sec-fetch-site"];
    if (site !== undefined && site !== "same-origin") return `the request came from another site (Sec-Fetch-Site: ${site})`;
    const origin = req.headers.origin;
    if (origin !== undefined && origin !== "null" && hostOf(origin) !== req.headers.host) return "the request came from another origin";
    const nonce = cookie(req, CSRF_COOKIE);
    if (!nonce) return "the CSRF cookie is missing (load the page again, with cookies enabled)";
    if (!token) return "the form carried no CSRF token";
    const expected = Buffer.from(this.#sign(nonce));
    const given = Buffer.from(token);
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) return "the CSRF token does not match (load the page again)";
    return undefined;
  }

  #sign(nonce: string): string {
    return createHmac("sha256", this.#secret).update(nonce).digest("base64url");
  }
}

function cookie(req: IncomingMessage, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? "").split(";")) {
    const [key, ...value] = part.trim().split("=");
    if (key === name) return value.join("=");
  }
  return undefined;
}

function hostOf(origin: string): string | undefined {
  try {
    return new URL(origin).host;
  } catch {
    return undefined;
  }
}

/** The form fields of a POST: parsed here (at most `limit` bytes), or taken from a body parser that ran before us. */
export async function readForm(req: IncomingMessage & { body?: unknown }, limit = 256 * 1024): Promise<URLSearchParams> {
  if (req.readableEnded || (req as { _body?: boolean })._body) {
    const fields = new URLSearchParams();
    for (const [key, value] of Object.entries((req.body ?? {}) as Record<string, unknown>)) {
      for (const item of Array.isArray(value) ? value : [value]) fields.append(key, String(item));
    }
    return fields;
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw Object.assign(new Error(`form body larger than ${limit} bytes`), { status: 413 });
    chunks.push(chunk);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString("utf8"));
}
