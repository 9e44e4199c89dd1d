# remediator's image: `docker build -t ghcr.io/remediator-dev/remediator:$(node -p "require('./package.json').version") .`
# deploy/k8s/deployment.yaml runs this image; test/deploy checks that the two agree.

# Build: compile TypeScript and better-sqlite3's native module, then drop the dev dependencies.
FROM node:20-bookworm AS builder
RUN apt-get update \
  && apt-get install -y --no-install-recommends python3 make g++ \
  && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY package.json package-lock.json .npmrc ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build && npm prune --omit=dev

# Run: the same Debian and Node, without compilers; only what `remediator serve` loads.
FROM node:20-bookworm-slim
ENV NODE_ENV=production \
  REMEDIATOR_POLICIES=/etc/remediator/policies \
  REMEDIATOR_DATA_DIR=/var/lib/remediator
WORKDIR /app
COPY --from=builder /src/package.json ./package.json
COPY --from=builder /src/node_modules ./node_modules
COPY --from=builder /src/dist ./dist
# The shipped policies (a directory of files loaded as one set; their tests stay out), where the
# Deployment mounts its ConfigMap over them.
COPY deploy/k8s/policies/ /etc/remediator/policies/
# The journal's directory, writable by the unprivileged user (Kubernetes mounts a volume here).
RUN mkdir -p /var/lib/remediator && chown 65532:65532 /var/lib/remediator
USER 65532:65532
EXPOSE 9095
ENTRYPOINT ["node", "dist/main.js"]
CMD ["serve"]
