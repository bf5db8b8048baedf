# syntax=docker/dockerfile:1
# One image for every process role: `docker run hookline ingress|worker|all` (default: all).
# The commands below (ENTRYPOINT, CMD, HEALTHCHECK) are the ones test/ops/image-commands.test.ts runs.

# Node 24: the major .ci/run tests beside the machine's 20 (scripts/fetch-node.sh pins its exact
# version); test/ops/image-commands.test.ts checks the two agree.
ARG NODE_IMAGE=node:24-bookworm-slim

# --- build: every dependency, TypeScript compiled to dist/ -------------------------------------------
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

# --- production dependencies only (no tsx, esbuild or vitest: the image runs dist/) -----------------------
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

# --- runtime: compiled JavaScript, production dependencies, non-root -----------------------------------
FROM ${NODE_IMAGE}
# NODE_OPTIONS: V8's young generation capped at Node 20's size. On a host with a lot of memory, Node 24
# sizes each of its two semi-spaces at 64 MB (Node 20: 16 MB), which a busy process fills and keeps: the
# ingress peaked at 445 MB against 245 MB on Node 20 (README, Performance). Overridable with -e NODE_OPTIONS=….
ENV NODE_ENV=production \
    PORT=3000 \
    DATA_DIR=/app/data \
    NODE_OPTIONS=--max-semi-space-size=16
WORKDIR /app
# Code and dependencies stay owned by root: the process can read them, not change them.
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
# The provider samples `node dist/cli/main.js send-sample <provider>` signs and sends.
COPY samples ./samples
# The embedded database (used only when DATABASE_URL is unset) is the one writable place.
RUN mkdir -p /app/data && chown node:node /app/data
USER node
EXPOSE 3000
HEALTHCHECK --interval=15s --timeout=5s --start-period=20s --retries=3 CMD ["node", "dist/healthcheck.js"]
ENTRYPOINT ["node", "dist/main.js"]
CMD ["all"]
