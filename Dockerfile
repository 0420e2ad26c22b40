# syntax=docker/dockerfile:1
# llmp images. Two targets (README, "Deploy"):
#   docker build --target full    -t llmp:full .     start, ingester, query, mlflow-exporter, migrate
#   docker build --target gateway -t llmp:gateway .  gateway only: no chdb (embedded ClickHouse)
# The CLI runs its TypeScript sources with Node's type stripping: there is no compile step.

ARG NODE_IMAGE=node:24.21-bookworm-slim
ARG PNPM_VERSION=10.34.9

# --- sources and pnpm --------------------------------------------------------------------------
FROM ${NODE_IMAGE} AS source
ARG PNPM_VERSION
RUN npm install --global --no-fund --no-audit "pnpm@${PNPM_VERSION}"
WORKDIR /app
COPY . .

# --- dependencies: one install per target, from the lockfile -----------------------------------
FROM source AS deps-full
RUN --mount=type=cache,id=pnpm-store,target=/root/.local/share/pnpm/store \
    sh deploy/docker/installDeps.sh full

FROM source AS deps-gateway
RUN --mount=type=cache,id=pnpm-store,target=/root/.local/share/pnpm/store \
    sh deploy/docker/installDeps.sh gateway

# --- runtime base: non-root user, data dir volume, health check --------------------------------
FROM ${NODE_IMAGE} AS runtime
# LLMP_HEALTH_PORT: the port of the role's /healthz (13133 gateway, 13134 ingester, 13135
# mlflow-exporter, 8080 query and start); set it when running another role from the same image.
ENV NODE_ENV=production \
    LLMP_DATA_DIR=/var/lib/llmp \
    LLMP_HEALTH_PORT=8080
# The node image's own unprivileged user (uid 1000) runs llmp; it owns the data dir.
RUN mkdir -p /var/lib/llmp && chown node:node /var/lib/llmp
VOLUME ["/var/lib/llmp"]
WORKDIR /app
# node:*-slim has no curl: Node's fetch asks /healthz.
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
    CMD ["node", "-e", "fetch('http://127.0.0.1:'+process.env.LLMP_HEALTH_PORT+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
ENTRYPOINT ["node", "--experimental-strip-types", "--disable-warning=ExperimentalWarning", "/app/cmd/llmp/bin/llmp.js"]

# --- full image: every role, embedded ClickHouse included ---------------------------------------
FROM runtime AS full
COPY --from=deps-full --chown=root:root /app /app
USER node
EXPOSE 4317 4318 8080 13134 13135
CMD ["start", "--config", "/app/deploy/config/all-in-one.yaml"]

# --- gateway image: OTLP -> Kafka, without chdb --------------------------------------------------
FROM runtime AS gateway
COPY --from=deps-gateway --chown=root:root /app /app
ENV LLMP_HEALTH_PORT=13133
# A request lives from its read until Kafka's acknowledgement, so a young generation of 8 MiB
# semi-spaces does the gateway's work at the same CPU per span as V8's default, which grows them
# to 32 MiB: about 50 MiB less resident memory (docs/benchmarks.md, gateway vs the Collector).
ENV NODE_OPTIONS="--max-semi-space-size=8"
USER node
EXPOSE 4317 4318 13133
CMD ["gateway", "--config", "/app/deploy/config/gateway.yaml"]
