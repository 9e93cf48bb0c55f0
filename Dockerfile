# The operator image: Node 24 runs the TypeScript sources directly (type stripping), so the
# image is the sources plus production node_modules, no build step.
#
#   buildah build --build-arg NODE_VERSION="$NODE_VERSION" -t localhost/modelops/operator:0.1.0 .
#
# NODE_VERSION comes from hack/versions.env. Debian (bookworm) rather than Alpine: the
# native modules the operator's data jobs load (DuckDB, ONNX Runtime) ship glibc binaries.
# Runs as UID 65532 (the chart's runAsUser) on a read-only root file system: nothing is
# written outside /tmp, which the chart mounts as an emptyDir.
ARG NODE_VERSION=24.21.0
ARG NODE_IMAGE=docker.io/library/node:${NODE_VERSION}-bookworm-slim

FROM ${NODE_IMAGE} AS deps
WORKDIR /app
# .npmrc skips onnxruntime-node's CUDA download, which the operator does not need.
COPY package.json package-lock.json .npmrc ./
RUN npm ci --omit=dev --no-audit --no-fund --loglevel=error \
 && npm cache clean --force

FROM ${NODE_IMAGE}
LABEL org.opencontainers.image.title="modelops operator" \
      org.opencontainers.image.description="The machine-learning lifecycle as Kubernetes resources" \
      org.opencontainers.image.licenses="Apache-2.0"
ENV NODE_ENV=production \
    HOME=/tmp \
    TMPDIR=/tmp
WORKDIR /app
# Owned by root and not writable by the runtime user: the code cannot be changed in place.
COPY --from=deps /app/node_modules ./node_modules
COPY package.json ./
COPY operator/ ./operator/
USER 65532:65532
EXPOSE 8080 8081
# Node is PID 1: the operator installs its own SIGTERM handler (a clean shutdown releases
# the leader Lease), which is what PID 1 needs to stop on `kubectl delete pod`.
ENTRYPOINT ["node", "--optimize-for-size", "--max-semi-space-size=1", "operator/main.ts"]
