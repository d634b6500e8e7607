/** Credentials written into server URLs, and the URLs without them. */
export interface ServerCredentials {
  /** The server URLs with any `user:pass@` / `token@` part removed. */
  readonly servers: string[];
  readonly user?: string;
  readonly pass?: string;
  readonly token?: string;
}

const USERINFO = /^((?:[a-z][a-z0-9+.-]*:\/\/)?)([^@/\s]+)@(.+)$/i;

/**
 * nats.js v3 ignores credentials in server URLs (`nats://alice:pw@host:4222` connects
 * without them and fails with "Authorization Violation"), yet that is the usual way to
 * write them, e.g. in NATS_URL. So they are taken out here: `user:pass@` becomes
 * user/pass and a bare `token@` a token (percent-encoding decoded), from the first URL
 * that has any, and the URLs given to nats.js carry none (so nats.js cannot echo them).
 */
export function splitServerCredentials(urls: readonly string[]): ServerCredentials {
  let found: Omit<ServerCredentials, "servers"> | undefined;
  const servers = urls.map((url) => {
    const match = USERINFO.exec(url);
    if (!match) return url;
    const [, scheme = "", userinfo = "", rest = ""] = match;
    if (!found) {
      const colon = userinfo.indexOf(":");
      found = colon === -1 ? { token: decode(userinfo) } : { user: decode(userinfo.slice(0, colon)), pass: decode(userinfo.slice(colon + 1)) };
    }
    return `${scheme}${rest}`;
  });
  return { servers, ...found };
}

function decode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
