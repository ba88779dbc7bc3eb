/**
 * `help`: every command, flag and environment variable.
 *
 * @module
 */
import { SETTINGS_DEFAULTS } from "../config/mod.ts";
import { VERSION } from "./version.ts";

const D = SETTINGS_DEFAULTS;

/** The full help text. */
export function helpText(): string {
  return `secrets-sync ${VERSION} — keep files in sync with secrets in OpenBao or HashiCorp Vault

USAGE
  secrets-sync [COMMAND] [--config FILE] [FLAGS]

COMMANDS
  run            Keep every secret in sync until SIGTERM/SIGINT (default). SIGHUP reloads the config.
  once           Sync every secret once; exit 0 only if all succeeded (for init containers).
                   --timeout DURATION   give up on transient failures after this long (default 60s);
                   a rejected token, role-id or secret-id or an unreadable credential file ends it
                   at once
  isready        Exit 0 when the running sidecar is ready: reads the status file (fresh heartbeat),
                   asks /ready when the sidecar serves HTTP. For container healthchecks.
  validate       Check a config: every error at once with file:line:column and key; on this
                   machine: every TLS file read and parsed, owner/group names known, output
                   directories there (or createDirs) and writable, the Deno permissions enough.
                   --online  also log in and read each secret once
  init           Print a commented example config. With VAULT_ADDR and VAULT_TOKEN set it
                   validates as printed; without them validate names just those two.
  convert FILE   Convert External Secrets Operator manifests (FILE or - for stdin) to a config.
                   --mount-path M       KV mount for keys without one   --output-dir DIR   target root
  permissions    Print the narrowest Deno permission flags that cover the config.
  version        Print the version and the Deno runtime.
  help           This text.

FLAGS
  -c, --config FILE   Config file. Default: $CONFIG_FILE, then ./config.yaml, then
                      /etc/secrets-sync/config.yaml
  -h, --help          This text.
      --version       Print the version.

ENVIRONMENT (environment overrides the config file)
  CONFIG_FILE                  Config file when --config is not given
  VAULT_ADDR                   Server address (secretStore.address)
  VAULT_TOKEN                  Token for token auth
  VAULT_NAMESPACE              Namespace (secretStore.namespace)
  VAULT_ROLE_ID, VAULT_SECRET_ID   AppRole credentials
  VAULT_CACERT, VAULT_CAPATH   CA certificate file / directory
  VAULT_CLIENT_CERT, VAULT_CLIENT_KEY   Client certificate and key (mTLS)
  VAULT_SKIP_VERIFY            Skip TLS certificate verification for the Vault addresses only
                               (insecure, for testing; warned about at every start)
  VAULT_TLS_SERVER_NAME        TLS server name
  LOG_LEVEL                    debug | info | warn | error (default ${D.logLevel})
  LOG_FORMAT                   json | pretty (default ${D.logFormat})
  ENABLE_METRICS               Serve /health, /ready, /metrics (default ${D.metricsEnabled})
  METRICS_ADDR, METRICS_PORT   Listener (default ${D.metricsAddr}:${D.metricsPort}); HTTP_PORT is read as METRICS_PORT
  STATUS_FILE                  Status file for isready (default ${D.statusFile})
  WATCH_CONFIG                 Reload when the config file changes (default ${D.watch})
  CONCURRENCY                  Most secrets synced at once (default ${D.concurrency})
  INITIAL_BACKOFF, MAX_BACKOFF, BACKOFF_MULTIPLIER    Per-secret failure backoff
  CIRCUIT_BREAKER_MAX_REQUESTS, CIRCUIT_BREAKER_INTERVAL, CIRCUIT_BREAKER_TIMEOUT   Breaker
  OTEL_DENO, OTEL_EXPORTER_OTLP_*   Tracing through Deno's built-in OpenTelemetry

PERMISSIONS
  run and once check every Deno permission the config needs before contacting Vault and refuse
  to start, one line per gap, naming the flag to add; then they check TLS files, owner/group
  names and output directories as validate does and refuse a problem like a config error (exit 2). Hooks that run commands or send signals
  need --allow-run. \`secrets-sync permissions\` prints the narrowest set for a config.

EXIT CODES
  0  success (run: stopped by SIGTERM/SIGINT)
  1  once: a secret failed; isready: not ready; validate: errors found
  2  invalid config, missing permission, or bad command line

Docs: README.md and docs/ in the source tree.`;
}
