# secrets-sync container image.
#
#   docker build -t secrets-sync .
#   docker run --read-only --tmpfs /tmp:size=16m,mode=1777 --cap-drop ALL \
#     --security-opt no-new-privileges -v secrets:/secrets \
#     -v ./config.yaml:/etc/secrets-sync/config.yaml:ro -e VAULT_ADDR -e VAULT_TOKEN secrets-sync
#
# Narrower network permission, baked into the binary (comma-separated host[:port] list):
#   docker build --build-arg ALLOW_NET=vault.internal:8200 -t secrets-sync .
#
# The binary is built with `deno task compile`, i.e. with the `sidecar` permission set of deno.json
# baked in, the same set `deno task run` uses. The final stage has no shell and no package manager,
# runs as UID 65532 and works with a read-only root filesystem: the status file goes to the /secrets
# volume; /tmp only holds Deno's optional code cache (mount a tmpfs there for faster `isready`
# healthchecks; without it each check compiles from scratch). Guide: docs/deployment.md.
ARG DENO_VERSION=2.9.6
ARG BASE_IMAGE=gcr.io/distroless/cc-debian12:nonroot

FROM denoland/deno:${DENO_VERSION} AS build
# Hosts the binary may connect to (Vault, OTLP, hook URLs); empty keeps the set's `net: true`.
ARG ALLOW_NET=
WORKDIR /src
COPY deno.json deno.lock ./
COPY src ./src
# deno compile 2.9.6 overflows its stack on a 2 MB test fixture shipped inside npm:bintrees
# (a dependency of prom-client); the program never loads it, so it is removed from the cache.
RUN deno install --frozen --entrypoint src/main.ts \
 && rm -rf "${DENO_DIR:-/deno-dir}"/npm/registry.npmjs.org/bintrees/*/test
# The compile task passes $SECRETS_SYNC_COMPILE_FLAGS through (after -P=sidecar, so an explicit
# --allow-net replaces the set's net permission). The check below fails the build if the flag did
# not reach the binary, instead of silently shipping the wider permission.
RUN SECRETS_SYNC_COMPILE_FLAGS="${ALLOW_NET:+--allow-net=${ALLOW_NET}}" deno task compile \
 && ./secrets-sync version \
 && if [ -n "${ALLOW_NET}" ]; then \
      expected="\"allow_net\":[\"$(printf '%s' "${ALLOW_NET}" | sed 's/,/","/g')\"]"; \
      grep -a -q -F "${expected}" secrets-sync \
        || { echo "ALLOW_NET=${ALLOW_NET} is not baked into the binary: the compile task of deno.json must pass \$SECRETS_SYNC_COMPILE_FLAGS" >&2; exit 1; }; \
    fi
RUN mkdir -p /rootfs/secrets /rootfs/etc/secrets-sync \
 && chown 65532:65532 /rootfs/secrets \
 && chmod 0755 /rootfs/secrets

FROM ${BASE_IMAGE}
LABEL org.opencontainers.image.title="secrets-sync" \
      org.opencontainers.image.description="Keeps files in sync with secrets in Vault/OpenBao"
COPY --from=build /rootfs/ /
COPY --from=build /src/secrets-sync /secrets-sync
USER 65532:65532
VOLUME ["/secrets"]
ENV CONFIG_FILE=/etc/secrets-sync/config.yaml \
    STATUS_FILE=/secrets/.secrets-sync-ready
# /health, /ready and /metrics listen on 127.0.0.1:8080 inside the container (METRICS_ADDR=0.0.0.0
# to scrape from outside); `isready` asks /ready, or reads STATUS_FILE when metrics are disabled.
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
  CMD ["/secrets-sync", "isready"]
ENTRYPOINT ["/secrets-sync"]
CMD ["run"]
