/**
 * `init`: prints a commented example config to start from; `secrets-sync init > config.yaml`.
 * With VAULT_ADDR and VAULT_TOKEN set it validates as printed (where its output directory,
 * /secrets, exists or can be created); without them `validate` names just those two variables.
 *
 * @module
 */

/** The example config `init` prints. */
export const EXAMPLE_CONFIG =
  `# secrets-sync config. Set VAULT_ADDR and VAULT_TOKEN, then check it with:
#   secrets-sync validate -c config.yaml
# Print the Deno permissions it needs with: secrets-sync permissions -c config.yaml
# \${VAR} and \${VAR:-default} expand from the environment (not inside templates).

secretStore:
  address: "\${VAULT_ADDR}"          # e.g. https://vault.example.com:8200
  authMethod: token                 # or approle (roleId/secretId[File]), kubernetes or jwt (role, jwtFile)
  token: "\${VAULT_TOKEN}"           # or tokenFile: /var/run/secrets/vault-token
  kvVersion: v2                     # v1, v2 or auto
  mountPath: secret
  # namespace: team-a               # Vault Enterprise / OpenBao namespace
  # tlsCACert: /etc/ssl/vault-ca.pem

settings:
  logLevel: info                    # debug, info, warning, error
  logFormat: json                   # json or pretty
  metrics:
    enabled: true                   # /health, /ready and /metrics
    addr: 127.0.0.1
    port: 8080
  # watch: true                     # reload when this file changes (SIGHUP always reloads)

secrets:
  # secret/app/db = { username, password } -> /secrets/db.env
  - name: db
    key: app/db
    refreshInterval: 5m
    # missingKey: error             # a missing key fails the render (default); or default, zero
    template:
      data:
        db.env: |
          DB_USERNAME={{ .username }}
          DB_PASSWORD={{ .password }}
    files:
      - path: /secrets/db.env
        template: db.env            # which template.data entry (default: in order)
        mode: "0600"
        createDirs: true
    # onChange:                     # run only when a file really changed
    #   - signal: { pidFile: /run/app/app.pid, signal: HUP }
    #   - http: { url: "http://127.0.0.1:9000/-/reload" }
    #   - command: ["/usr/local/bin/reload-app"]
`;

/** Options of {@linkcode initCommand}. */
export interface InitCommandOptions {
  /** Receives the config text. */
  out: (text: string) => void;
}

/** Prints {@linkcode EXAMPLE_CONFIG}. Returns the exit code (always 0). */
export function initCommand(options: InitCommandOptions): number {
  options.out(EXAMPLE_CONFIG.trimEnd());
  return 0;
}
