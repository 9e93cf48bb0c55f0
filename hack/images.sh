#!/usr/bin/env bash
# Builds the project's images with buildah from its Dockerfiles, with no registry: the base
# images they name are assembled here (a Debian root file system from debootstrap, Node 24
# from the npm registry) and passed as build arguments. Results are cached as OCI archives in
# ~/.cache/modelops/images, keyed by the inputs' content, and can be loaded into a node.
#
# usage: hack/images.sh build IMAGE            build (or reuse) an image; prints its archive
#        hack/images.sh load  IMAGE --dir DIR  build if needed and import into DIR's node
# IMAGE: operator, trainer (the CPU variant of runtime-images/trainer/Dockerfile), or server
#        (the CPU variant of runtime-images/server/Dockerfile)
source "$(dirname "$0")/lib.sh"

cmd="${1:-}"; image="${2:-}"; shift 2 || true
DIR="$REPO_ROOT/_output/cluster"
while (($#)); do
  case "$1" in
    --dir) DIR="$2"; shift 2 ;;
    *) die "unknown argument $1" ;;
  esac
done
CACHE="$MODELOPS_CACHE/images"
DEBIAN_SUITE=bookworm
DEBIAN_MIRROR="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
NPM_VERSION=11.21.2
NODE_BASE="localhost/modelops/node:$NODE_VERSION-$DEBIAN_SUITE-slim"
DEBIAN_BASE="localhost/modelops/debian:$DEBIAN_SUITE-minbase"
export BUILDAH_ISOLATION=chroot   # no container runtime is needed to build

# The machine's CA bundle, for npm and pip inside a build (traffic to the registries may
# pass a TLS-inspecting proxy whose CA only the host trusts). Mounted beside, not over,
# /etc/ssl/certs, which a build that installs ca-certificates must be able to write.
HOST_CA=/run/modelops-host-ca.crt
REGISTRY_CONF="$(mktemp -d)"
trap 'rm -rf "$REGISTRY_CONF"' EXIT
printf 'cafile=%s\n' "$HOST_CA" >"$REGISTRY_CONF/npmrc"
printf '[global]\ncert = %s\n' "$HOST_CA" >"$REGISTRY_CONF/pip.conf"
BUILD_MOUNTS=(-v "/etc/ssl/certs/ca-certificates.crt:$HOST_CA:ro"
  -v "$REGISTRY_CONF/npmrc:/root/.npmrc:ro" -v "$REGISTRY_CONF/pip.conf:/etc/pip.conf:ro")

has_image() { buildah inspect --type image "$1" >/dev/null 2>&1; }

rootfs() {
  local tar="$CACHE/rootfs-$DEBIAN_SUITE-minbase.tar"
  if [[ ! -s "$tar" ]]; then
    log "debootstrap $DEBIAN_SUITE (minbase) from $DEBIAN_MIRROR (first time only)"
    local d; d="$(mktemp -d)"
    debootstrap --variant=minbase "$DEBIAN_SUITE" "$d" "$DEBIAN_MIRROR" >"$d.log" 2>&1 || { tail -20 "$d.log" >&2; die "debootstrap failed"; }
    rm -rf "$d"/var/cache/apt/archives/*.deb "$d"/var/lib/apt/lists/*
    mkdir -p "$CACHE"
    tar -C "$d" -cf "$tar.tmp" . && mv "$tar.tmp" "$tar"
    rm -rf "$d" "$d.log"
  fi
  echo "$tar"
}

# node:<version>-bookworm-slim, assembled: Debian minbase + the Node 24 binary + npm.
node_base() {
  has_image "$NODE_BASE" && return
  local tar nodedir npmtgz c work
  tar="$(rootfs)"
  nodedir="$("$HACK_DIR/ensure-node.sh")"
  MODELOPS_FORCE_NODE_FETCH=1 "$HACK_DIR/ensure-node.sh" >/dev/null   # the pinned binary, not the machine's
  work="$(mktemp -d)"
  (cd "$work" && PATH="$nodedir:$PATH" npm pack --silent "npm@$NPM_VERSION" >/dev/null)
  npmtgz="$work/npm-$NPM_VERSION.tgz"
  mkdir -p "$work/npm" && tar -xzf "$npmtgz" -C "$work/npm" --strip-components=1
  log "assembling $NODE_BASE"
  c="$(buildah from scratch)"
  buildah add "$c" "$tar" / >/dev/null
  buildah copy "$c" "$REPO_ROOT/.tools/node-$NODE_VERSION/bin/node" /usr/local/bin/node >/dev/null
  buildah copy "$c" "$work/npm" /usr/local/lib/node_modules/npm >/dev/null
  buildah run "$c" -- sh -c 'ln -sf ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm && ln -sf ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx && node --version >/dev/null'
  buildah config --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin --cmd '["node"]' "$c"
  buildah commit -q "$c" "$NODE_BASE" >/dev/null
  buildah rm "$c" >/dev/null
  rm -rf "$work"
}

# debian:bookworm-slim's stand-in: the minbase root file system alone.
debian_base() {
  has_image "$DEBIAN_BASE" && return
  local tar c
  tar="$(rootfs)"
  log "assembling $DEBIAN_BASE"
  c="$(buildah from scratch)"
  buildah add "$c" "$tar" / >/dev/null
  buildah config --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin --cmd '["bash"]' "$c"
  buildah commit -q "$c" "$DEBIAN_BASE" >/dev/null
  buildah rm "$c" >/dev/null
}

# A content key for an image: the files its build context admits, plus the base and versions.
context_key() {
  (cd "$REPO_ROOT" && git ls-files -s -- "$@" | sha256sum | cut -c1-12)
}

# Builds REF with `buildah bud ARGS...` on the base that BASE_FN provides, unless the archive
# for KEY is cached; prints the archive.
bud_archive() {
  local name="$1" ref="$2" key="$3" base_fn="$4"; shift 4
  local archive="$CACHE/$name-$key.tar"
  if [[ ! -s "$archive" ]]; then
    "$base_fn"
    log "building $ref"
    buildah bud -q --layers=false "${BUILD_MOUNTS[@]}" -t "$ref" "$@" >/dev/null
    buildah push -q "$ref" "oci-archive:$archive.tmp:$ref"
    mv "$archive.tmp" "$archive"
  fi
  echo "$archive"
}

build_operator() {
  bud_archive operator localhost/modelops/operator:0.1.0 \
    "$(context_key Dockerfile .dockerignore package.json package-lock.json .npmrc operator)" node_base \
    --build-arg "NODE_IMAGE=$NODE_BASE" -f "$REPO_ROOT/Dockerfile" "$REPO_ROOT"
}

# The CPU target of the trainer's Dockerfile, on the stand-in for debian:bookworm-slim.
build_trainer() {
  local dir="$REPO_ROOT/runtime-images/trainer"
  bud_archive trainer localhost/modelops/trainer:0.1.0 \
    "$(context_key runtime-images/trainer/Dockerfile runtime-images/trainer/.dockerignore runtime-images/trainer/requirements-image-cpu.txt runtime-images/trainer/modelops_trainer)" debian_base \
    --target cpu --build-arg "CPU_BASE=$DEBIAN_BASE" -f "$dir/Dockerfile" "$dir"
}

# The CPU target of the serving runtime's Dockerfile, on the assembled Node 24 base (the CPU
# ONNX Runtime binaries ship inside the npm package; its .npmrc skips the CUDA download).
# buildah skips the stages the target does not need, so the CUDA base is never asked for.
build_server() {
  local dir="$REPO_ROOT/runtime-images/server"
  bud_archive server localhost/modelops/server:0.1.0 \
    "$(context_key runtime-images/server/Dockerfile runtime-images/server/.dockerignore runtime-images/server/.npmrc runtime-images/server/package.json runtime-images/server/package-lock.json runtime-images/server/src)" node_base \
    --target cpu --build-arg "NODE_IMAGE=$NODE_BASE" -f "$dir/Dockerfile" "$dir"
}

archive_of() {
  case "$1" in
    operator) build_operator ;;
    trainer) build_trainer ;;
    server) build_server ;;
    *) die "unknown image $1 (known: operator, trainer, server)" ;;
  esac
}

case "$cmd" in
  build) archive_of "$image" ;;
  load)
    archive="$(archive_of "$image")"
    [[ -S "$DIR/node/containerd.sock" ]] || die "no node runs from $DIR; start one with hack/node.sh up --dir $DIR"
    ctr --address "$DIR/node/containerd.sock" -n k8s.io images import "$archive" >/dev/null
    log "loaded $image into the node of $DIR"
    ;;
  *) die "usage: hack/images.sh build|load operator|trainer|server [--dir DIR]" ;;
esac
