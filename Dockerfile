# syntax=docker/dockerfile:1
# LlamaCloud chat-sessions GraphQL gateway.
#   docker build -t llamacloud-chat-gateway .
#   docker run --rm -p 4000:4000 -e LLAMA_CLOUD_API_KEY=llx-... llamacloud-chat-gateway
# test/ops/production-image.test.ts runs what this image runs (same build, production-only
# install, same CMD and HEALTHCHECK) without Docker.

ARG NODE_IMAGE=node:20-bookworm-slim

# 1. Compile TypeScript with every dependency installed exactly from the lock file.
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

# 2. Production dependencies only, from the same lock file.
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

# 3. Runtime: compiled output + production node_modules, owned by root, run as `node` (uid 1000).
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=4000
WORKDIR /app
COPY package.json ./
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
USER node
EXPOSE 4000
# /metrics listens on METRICS_HOST:METRICS_PORT (127.0.0.1:9464), never on 4000. To scrape it from
# outside the container (a pod's network, `-p 127.0.0.1:9464:9464`), set METRICS_HOST=0.0.0.0.
EXPOSE 9464
# Liveness through node's own fetch: no curl or wget in the image.
HEALTHCHECK --interval=15s --timeout=3s --start-period=10s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||4000)+'/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# SIGTERM drains in-flight requests (up to SHUTDOWN_TIMEOUT_MS, default 10 s) and exits 0; give
# `docker stop -t` / terminationGracePeriodSeconds more than that.
STOPSIGNAL SIGTERM
CMD ["node", "--enable-source-maps", "dist/main.js"]
