/**
 * Test JWTs signed with WebCrypto (ES256), and an OpenBao `jwt` auth mount that trusts their key:
 * what the JWT and Kubernetes auth tests log in with. No JWT library: a JWT is three base64url
 * parts, and the signature is WebCrypto's raw r‖s, as JWS wants for ES256.
 *
 * @module
 */
import type { OpenBaoAdmin } from "./openbao.ts";

/** A signing key and its public half as SPKI PEM (what `jwt_validation_pubkeys` takes). */
export interface JwtSigner {
  publicKeyPem: string;
  /** Signs `claims` (iat/nbf/exp filled in unless given). `ttlSeconds` may be negative. */
  sign(claims: Record<string, unknown>, options?: { ttlSeconds?: number }): Promise<string>;
}

function base64url(bytes: Uint8Array): string {
  let binary = "";
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

const encoder = new TextEncoder();

/** A fresh ES256 key pair. */
export async function createJwtSigner(): Promise<JwtSigner> {
  const pair = await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, true, [
    "sign",
    "verify",
  ]);
  const spki = new Uint8Array(await crypto.subtle.exportKey("spki", pair.publicKey));
  const b64 = btoa(String.fromCharCode(...spki)).replace(/(.{64})/g, "$1\n").trim();
  const publicKeyPem = `-----BEGIN PUBLIC KEY-----\n${b64}\n-----END PUBLIC KEY-----\n`;
  return {
    publicKeyPem,
    async sign(claims, options = {}) {
      const { ttlSeconds = 300 } = options;
      const now = Math.floor(Date.now() / 1000);
      const header = base64url(encoder.encode(JSON.stringify({ alg: "ES256", typ: "JWT" })));
      const payload = base64url(encoder.encode(JSON.stringify({
        iat: Math.min(now, now + ttlSeconds - 60),
        nbf: Math.min(now, now + ttlSeconds - 60) - 5,
        exp: now + ttlSeconds,
        ...claims,
      })));
      const signature = new Uint8Array(
        await crypto.subtle.sign(
          { name: "ECDSA", hash: "SHA-256" },
          pair.privateKey,
          encoder.encode(`${header}.${payload}`),
        ),
      );
      return `${header}.${payload}.${base64url(signature)}`;
    },
  };
}

/** Options of {@linkcode enableJwtAuth}. */
export interface EnableJwtAuthOptions {
  /** @default "jwt" */
  mount?: string;
  /** @default "app" */
  role?: string;
  /** @default "secrets-sync-test" */
  audience?: string;
  tokenTtl?: string;
  tokenMaxTtl?: string;
  tokenPolicies?: string[];
}

/**
 * Enables OpenBao's `jwt` auth method at `mount`, trusting `signer`'s public key, with one role
 * (`role_type: jwt`, `bound_audiences`, `user_claim: sub`).
 */
export async function enableJwtAuth(
  bao: OpenBaoAdmin,
  signer: JwtSigner,
  options: EnableJwtAuthOptions = {},
): Promise<void> {
  const {
    mount = "jwt",
    role = "app",
    audience = "secrets-sync-test",
    tokenTtl,
    tokenMaxTtl,
    tokenPolicies = ["default"],
  } = options;
  const must = async (path: string, body: unknown) => {
    const res = await bao.api("POST", path, { body });
    if (res.status !== 200 && res.status !== 204) {
      throw new Error(`Cannot POST "${path}": ${res.status} ${JSON.stringify(res.body)}`);
    }
  };
  await must(`sys/auth/${mount}`, { type: "jwt" });
  await must(`auth/${mount}/config`, { jwt_validation_pubkeys: [signer.publicKeyPem] });
  await must(`auth/${mount}/role/${role}`, {
    role_type: "jwt",
    bound_audiences: [audience],
    user_claim: "sub",
    token_policies: tokenPolicies,
    ...(tokenTtl !== undefined ? { token_ttl: tokenTtl } : {}),
    ...(tokenMaxTtl !== undefined ? { token_max_ttl: tokenMaxTtl } : {}),
  });
}
