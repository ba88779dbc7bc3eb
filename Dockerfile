# secrets-sync container image.
#
#   docker build -t secrets-sync .
#   docker run --read-only -v secrets:/secrets -v ./config.yaml:/etc/secrets-sync/config.yaml:ro \
#     -e VAULT_ADDR -e VAULT_TOKEN secrets-sync
#
# The binary is built with `deno task compile`, i.e. with the `sidecar` permission set of
# deno.json baked in — the same set `deno task run` uses. The final stage has no shell and no
# package manager and runs as a non-root user.
ARG DENO_VERSION=2.9.6

FROM denoland/deno:${DENO_VERSION} AS build
WORKDIR /src
COPY deno.json deno.lock ./
COPY src ./src
RUN deno install --frozen --entrypoint src/main.ts
RUN deno task compile && ./secrets-sync version
RUN mkdir -p /rootfs/secrets /rootfs/etc/secrets-sync /rootfs/tmp \
 && chown 65532:65532 /rootfs/secrets && chmod 1777 /rootfs/tmp

FROM gcr.io/distroless/cc-debian12:nonroot
COPY --from=build /rootfs/ /
COPY --from=build /src/secrets-sync /secrets-sync
USER 65532:65532
VOLUME ["/secrets"]
ENV CONFIG_FILE=/etc/secrets-sync/config.yaml \
    STATUS_FILE=/secrets/.secrets-sync-ready
HEALTHCHECK --interval=10s --timeout=2s --start-period=5s --retries=3 \
  CMD ["/secrets-sync", "isready"]
ENTRYPOINT ["/secrets-sync"]
CMD ["run"]
