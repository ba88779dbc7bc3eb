/**
 * Why a request got no answer, in a few words: connection refused, DNS, an untrusted or wrong
 * certificate, a client certificate the server wants or refuses, TLS to a plain-HTTP port — with
 * the host and, where there is one, the setting that fixes it. Read from what Deno's `fetch`
 * throws (`TypeError: fetch failed` whose cause holds rustls' and hyper's text) or what
 * `node:https` throws (errno codes), never from a URL or body.
 *
 * @module
 */

/** One line naming why `origin` could not be reached. */
export function describeNetworkError(err: unknown, origin: string): string {
  const { text, codes } = collect(err);
  const { host, hostPort } = hostOf(origin);
  const has = (pattern: RegExp) => pattern.test(text) || codes.some((c) => pattern.test(c));

  if (has(/Connection refused|ECONNREFUSED/)) return `connection refused at ${hostPort}`;
  if (has(/dns error|failed to lookup address|ENOTFOUND|EAI_AGAIN|getaddrinfo/)) {
    const why = text.match(
      /(Name or service not known|Temporary failure in name resolution|No address associated with hostname|nodename nor servname provided, or not known)/,
    )?.[1] ??
      codes.find((c) => /^E[A-Z_]+$/.test(c)) ?? "no such host";
    return `cannot resolve host "${host}" (DNS: ${why})`;
  }
  const peer = text.match(/invalid peer certificate: (?:Other\(OtherError\()?(\w+)/)?.[1];
  if (peer !== undefined) {
    if (peer === "NotValidForName") {
      return `TLS certificate of ${hostPort} is not valid for "${host}": ` +
        "use an address with a name the certificate holds";
    }
    if (peer === "Expired") return `TLS certificate of ${hostPort} has expired`;
    if (peer === "NotValidYet") return `TLS certificate of ${hostPort} is not valid yet`;
    return `TLS certificate of ${hostPort} is not trusted (${peer}): ` +
      "set tlsCACert (or VAULT_CACERT) to the CA that signed it";
  }
  const alert = text.match(/received fatal alert: (\w+)/)?.[1];
  if (alert === "CertificateRequired") {
    return `${hostPort} requires a client certificate: set tlsClientCert and tlsClientKey`;
  }
  if (alert !== undefined) return `${hostPort} refused the client certificate (${alert})`;
  if (has(/InvalidContentType|corrupt message|wrong version number|EPROTO/)) {
    return `TLS handshake with ${hostPort} failed: the server does not speak TLS there ` +
      "(http:// address?)";
  }
  if (has(/Connection reset|ECONNRESET|socket hang up/)) return `connection reset by ${hostPort}`;
  if (has(/timed out|ETIMEDOUT/)) return `connection to ${hostPort} timed out`;
  if (has(/unreachable|EHOSTUNREACH|ENETUNREACH/)) return `no route to ${hostPort}`;
  return `fetch failed: ${innermost(err)}`;
}

/** Messages and errno codes of an error and its causes. */
function collect(err: unknown): { text: string; codes: string[] } {
  const messages: string[] = [];
  const codes: string[] = [];
  let current: unknown = err;
  for (let depth = 0; depth < 6 && current !== undefined && current !== null; depth++) {
    if (current instanceof Error) {
      messages.push(current.message);
      const code = (current as { code?: unknown }).code;
      if (typeof code === "string") codes.push(code);
      current = current.cause;
    } else {
      messages.push(String(current));
      break;
    }
  }
  return { text: messages.join("\n"), codes };
}

/** The deepest message, without the URL fetch puts in front (URLs stay out of messages). */
function innermost(err: unknown): string {
  let current: unknown = err;
  let message = err instanceof Error ? err.message : String(err);
  for (let depth = 0; depth < 6 && current instanceof Error; depth++) {
    message = current.message;
    current = current.cause;
  }
  const line = message.replace(/^error sending request for url \([^)]*\):\s*/, "")
    .replace(/\s+/g, " ").trim();
  return line.length > 200 ? `${line.slice(0, 200)}…` : line;
}

function hostOf(origin: string): { host: string; hostPort: string } {
  try {
    const url = new URL(origin);
    const port = url.port !== "" ? url.port : url.protocol === "https:" ? "443" : "80";
    return { host: url.hostname, hostPort: `${url.hostname}:${port}` };
  } catch {
    return { host: origin, hostPort: origin };
  }
}
