#!/bin/sh
# Seeds a dev server for the compose examples (docker-compose.openbao.yml, docker-compose.vault.yml):
# an AppRole "secrets-sync" whose tokens may only read secret/app/*, one KV v2 secret, the role id
# and a secret id in /approle (a volume only the sidecar mounts, files readable by the sidecar's UID
# alone), and the output volume (SECRETS_DIR) handed to that UID. Runs with the image's CLI:
# VAULT_CLI=bao (OpenBao) or vault; the address and root token come from BAO_ADDR/BAO_TOKEN or
# VAULT_ADDR/VAULT_TOKEN. Safe to run again.
#
# Development only: the secret id never expires and has unlimited uses. In production deliver a
# response-wrapped secret id (secretIdWrapped: true) or a short-lived one, see docs/auth.md.
set -eu

cli="${VAULT_CLI:-vault}"
out="${APPROLE_DIR:-/approle}"
uid="${SIDECAR_UID:-65532}"

"$cli" auth list | grep -q '^approle/' || "$cli" auth enable approle

"$cli" policy write secrets-sync-app - <<'POLICY'
path "secret/data/app/*" {
  capabilities = ["read"]
}
POLICY

"$cli" write auth/approle/role/secrets-sync \
  token_policies=secrets-sync-app token_ttl=1h token_max_ttl=4h \
  secret_id_ttl=0 secret_id_num_uses=0 >/dev/null

# A random password, never printed (kv put prints the version metadata only).
password="$(head -c 18 /dev/urandom | base64 | tr -d '\n/+=')"
"$cli" kv put secret/app/db username=app "password=$password" >/dev/null

umask 077
"$cli" read -field=role_id auth/approle/role/secrets-sync/role-id >"$out/role-id.tmp"
"$cli" write -f -field=secret_id auth/approle/role/secrets-sync/secret-id >"$out/secret-id.tmp"
chown "$uid" "$out/role-id.tmp" "$out/secret-id.tmp"
chmod 0400 "$out/role-id.tmp" "$out/secret-id.tmp"
mv -f "$out/role-id.tmp" "$out/role-id"
mv -f "$out/secret-id.tmp" "$out/secret-id"
# The output volume belongs to the sidecar; the app mounts it read-only.
if [ -n "${SECRETS_DIR:-}" ]; then
  chown "$uid:$uid" "$SECRETS_DIR"
  chmod 0755 "$SECRETS_DIR"
fi
echo "init: AppRole secrets-sync ready, secret/app/db seeded, credentials in $out"
