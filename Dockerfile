# syntax=docker/dockerfile:1
# Multi-stage build: compile with dev dependencies, ship only production dependencies and the
# compiled output, run as uid:gid 1000:1000 (numeric, so Kubernetes' runAsNonRoot can verify it).
# Build:  docker build -t ingest-gateway .
# Run against Azure (README, "Container"):
#   docker run -p 8080:8080 -e EVENTHUB_CONNECTION_STRING=... -e API_KEYS_FILE=/keys/keys.json \
#     -v "$PWD/keys:/keys:ro" ingest-gateway
# Keys:  docker run --rm --user 1000:1000 -v "$PWD/keys:/keys" ingest-gateway \
#          node dist/src/tools/keys.js create --id NAME --scopes events:write --types telemetry \
#          --sensors NAME --file /keys/keys.json
ARG NODE_IMAGE=node:20-bookworm-slim

# 1. Compile TypeScript (needs the dev dependencies).
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY emulator ./emulator
RUN npm run build

# 2. Production dependencies only.
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

# 3. Runtime: no compiler, no dev dependencies, no sources beyond what runs.
FROM ${NODE_IMAGE} AS runtime
# SHUTDOWN_DEADLINE_MS: the drain (flush, answer every waiting request) ends within 8 s, inside
# `docker stop`'s default 10 s grace (and Kubernetes' 30 s terminationGracePeriodSeconds). A
# longer deadline needs `docker run --stop-timeout` / terminationGracePeriodSeconds above it.
ENV NODE_ENV=production \
    PORT=8080 \
    HOST=0.0.0.0 \
    EVENT_TYPES_DIR=/app/schemas \
    SHUTDOWN_DEADLINE_MS=8000
WORKDIR /app
COPY --from=deps --chown=root:root /app/node_modules ./node_modules
COPY --from=build --chown=root:root /app/dist ./dist
COPY --chown=root:root package.json openapi.yaml ./
COPY --chown=root:root schemas ./schemas
# Files stay root-owned and read-only to the process; it writes nothing to disk. A mounted key
# file must be readable by uid 1000 (README, "Container").
USER 1000:1000
EXPOSE 8080
# Slim images have no curl: Node asks /healthz where HOST and PORT say the gateway listens.
HEALTHCHECK --interval=15s --timeout=3s --start-period=10s --retries=3 \
  CMD ["node", "dist/src/tools/healthcheck.js"]
# Node is PID 1 and handles SIGTERM itself (flush, answer waiting requests, exit 0). The V8 flags
# are those of `npm start` (README, "Performance"); test/docs/start-command.test.ts keeps them equal.
STOPSIGNAL SIGTERM
CMD ["node", "--single-threaded-gc", "--no-allocation-site-pretenuring", "dist/src/main.js"]
