#!/usr/bin/env bash
# Builds the pinned Traefik (our Gateway API implementation, see docs/cluster.md) from the Go
# module proxy into a cache outside the work tree. A second run with the same version does
# nothing; prints the folder holding `traefik`.
#
# github.com/traefik/traefik/v3 cannot be `go install`ed: its go.mod has replace directives
# (forks of two dependencies) and an exclude, which Go honours only in the main module. A
# throwaway wrapper module requires Traefik and copies them. One replace points at a local
# path, ./pkg/config/dynamic/ext: that folder is a nested module of its own, and the module
# zip on the proxy leaves nested modules out, so the folder is not in the module cache. The
# wrapper supplies it: the package is Traefik's extension point for its commercial builds and
# holds two empty structs (ext.HTTP, ext.Router) that dynamic.HTTP and dynamic.Router embed.
#
# Not every module Traefik needs is on the module proxy we reach (403 "not available"): the
# wrapper works around the two kinds this version hits, and says so in the build log.
#  - Traefik's fork of github.com/abbot/go-http-auth (basic/digest auth middlewares): the
#    upstream module's last release, v0.4.0, is used instead, plus the two functions of the
#    fork that Traefik calls, written here on the module's own code.
#  - SDKs of some DNS providers of lego, the ACME library, all reached through the registry
#    of DNS providers (lego/providers/dns): a copy of lego whose registry leaves those
#    providers out (DNS-01 challenges through them then fail with "unrecognized DNS provider").
#    Neither is used by a local cluster's Gateway.
#
# The web UI is embedded from webui/static, which the published module ships with only a
# placeholder file: the build needs no npm, and the dashboard is empty (we do not enable it).
#
# usage: hack/build-traefik.sh       (stdout: the folder holding `traefik`)
source "$(dirname "$0")/lib.sh"

export CGO_ENABLED=0 GOFLAGS=-mod=mod GOTOOLCHAIN=local

if [[ -x "$TRAEFIK_BIN_DIR/traefik" ]]; then
  log "traefik $TRAEFIK_VERSION: cached in $TRAEFIK_BIN_DIR"
  echo "$TRAEFIK_BIN_DIR"
  exit 0
fi
command -v go >/dev/null || die "Go is needed to build Traefik from the Go module proxy: install Go (see hack/install-deps.sh)"
log "traefik $TRAEFIK_VERSION: building (first time only; several minutes on 2 cores)"
start=$SECONDS

module=github.com/traefik/traefik/v3
src="$(cd "$(mktemp -d)" && go mod download -json "$module@$TRAEFIK_VERSION" | sed -n 's/.*"Dir": "\(.*\)".*/\1/p')"
[[ -f "$src/go.mod" ]] || die "could not download $module@$TRAEFIK_VERSION from $(go env GOPROXY)"

gwapi="$(go mod edit -json "$src/go.mod" | jq -r '.Require[] | select(.Path == "sigs.k8s.io/gateway-api") | .Version')"
[[ "$gwapi" == "$TRAEFIK_GATEWAY_API_VERSION" ]] ||
  die "traefik $TRAEFIK_VERSION is built against sigs.k8s.io/gateway-api $gwapi: set TRAEFIK_GATEWAY_API_VERSION=$gwapi in hack/versions.env"

# In the wrapper: github.com/abbot/go-http-auth v0.4.0 (it has no go.mod) with the two things
# Traefik's fork adds that Traefik calls: CheckSecret(password, secret), whether a password
# matches an htpasswd secret by the module's own hash-prefix rules (as BasicAuth.CheckAuth
# does), and DigestAuth.RequireAuthStale, RequireAuth's challenge with stale=true.
upstream_http_auth() {
  local dir
  dir="$(go mod download -json github.com/abbot/go-http-auth@v0.4.0 | sed -n 's/.*"Dir": "\(.*\)".*/\1/p')"
  rm -rf go-http-auth && cp -r "$dir" go-http-auth && chmod -R u+w go-http-auth
  printf 'module github.com/abbot/go-http-auth\n\ngo 1.21\n' >go-http-auth/go.mod
  cat >go-http-auth/fork.go <<'GO'
package auth

import (
	"fmt"
	"net/http"
	"strings"
	"time"
)

// CheckSecret reports whether password matches secret, an htpasswd entry (MD5, SHA or bcrypt).
func CheckSecret(password, secret string) bool {
	compare := compareFuncs[0].compare
	for _, cmp := range compareFuncs[1:] {
		if strings.HasPrefix(secret, cmp.prefix) {
			compare = cmp.compare
			break
		}
	}
	return compare([]byte(secret), []byte(password)) == nil
}

// RequireAuthStale is RequireAuth for a request whose nonce was stale: the challenge says
// stale=true, so the client retries with the new nonce without asking for credentials.
func (a *DigestAuth) RequireAuthStale(w http.ResponseWriter, r *http.Request) {
	if len(a.clients) > a.ClientCacheSize+a.ClientCacheTolerance {
		a.Purge(a.ClientCacheTolerance * 2)
	}
	nonce := RandomKey()
	a.clients[nonce] = &digest_client{nc: 0, last_seen: time.Now().UnixNano()}
	w.Header().Set(contentType, a.Headers.V().UnauthContentType)
	w.Header().Set(a.Headers.V().Authenticate,
		fmt.Sprintf(`Digest realm="%s", nonce="%s", opaque="%s", algorithm="MD5", qop="auth", stale=true`, a.Realm, nonce, a.Opaque))
	w.WriteHeader(a.Headers.V().UnauthCode)
	_, _ = w.Write([]byte(a.Headers.V().UnauthResponse))
}
GO
}

# In the wrapper: the DNS providers of lego whose dependencies cannot be downloaded are left
# out of a copy of lego's provider registry, which then replaces lego.
drop_unavailable_dns_providers() {
  local reg=github.com/go-acme/lego/v5/providers/dns broken=() lego
  mapfile -t broken < <(go list -e -f '{{if .DepsErrors}}{{.ImportPath}}{{end}}' "$reg/..." 2>/dev/null |
    sed -n "s|^$reg/\([a-z0-9]*\)$|\1|p")
  ((${#broken[@]} > 0)) || return 0
  warn "lego DNS providers left out (their SDKs are not on $(go env GOPROXY)): ${broken[*]}"
  lego="$(go list -m -f '{{.Dir}}' github.com/go-acme/lego/v5)"
  rm -rf lego && cp -r "$lego" lego && chmod -R u+w lego
  python3 - lego/providers/dns/zz_gen_dns_providers.go "${broken[@]}" <<'PY'
import re, sys
path, drop = sys.argv[1], sys.argv[2:]
src = open(path).read()
for p in drop:
    src = re.sub(r'\n\t"github.com/go-acme/lego/v5/providers/dns/%s"' % p, '', src)
    src = re.sub(r'\n\tcase [^\n]*:\n\t\treturn %s\.NewDNSProvider\(\)' % p, '', src)
    if re.search(r'\b%s\.' % p, src):
        sys.exit('could not remove the DNS provider %s from %s' % (p, path))
open(path, 'w').write(src)
PY
  go mod edit -replace="github.com/go-acme/lego/v5=./lego"
}

work="$MODELOPS_CACHE/traefik/$TRAEFIK_VERSION/wrapper"
if [[ ! -f "$work/go.sum" ]]; then
  # Set up aside and moved in place when complete: a failed run leaves nothing half done.
  rm -rf "$work" "$work.new" && mkdir -p "$work.new"
  modjson="$(go mod edit -json "$src/go.mod")"
  (
    cd "$work.new"
    go mod init modelops.dev/traefik-build >/dev/null 2>&1
    go mod edit -go="$(jq -r .Go <<<"$modjson")"
    # Module replaces: copied as they are, when the proxy has the replacement.
    jq -r '.Replace[]? | select(.New.Version != null)
             | "\(.Old.Path)\(if .Old.Version then "@"+.Old.Version else "" end) \(.New.Path)@\(.New.Version)"' \
      <<<"$modjson" | while read -r old new; do
        if go mod download "$new" >/dev/null 2>&1; then
          go mod edit -replace="$old=$new"
        elif [[ "$old" == github.com/abbot/go-http-auth ]]; then
          warn "$new is not on $(go env GOPROXY): using the upstream github.com/abbot/go-http-auth@v0.4.0 plus the fork's CheckSecret and RequireAuthStale"
          upstream_http_auth
          go mod edit -replace="$old=./go-http-auth"
        else
          die "traefik $TRAEFIK_VERSION replaces $old with $new, which $(go env GOPROXY) does not have"
        fi
      done
    # Local-path replaces: into the module cache when the folder is there, else a stand-in.
    jq -r '.Replace[]? | select(.New.Version == null) | "\(.Old.Path) \(.New.Path)"' <<<"$modjson" |
      while read -r old rel; do
        if [[ -f "$src/$rel/go.mod" ]]; then
          go mod edit -replace="$old=$src/$rel"
        elif [[ "$old" == github.com/traefik/traefik/dynamic/ext ]]; then
          mkdir -p ext
          printf 'module %s\n\ngo 1.24\n' "$old" >ext/go.mod
          cat >ext/ext.go <<'GO'
// Package ext stands in for Traefik's dynamic configuration extension point, a nested module
// that the published module zip does not carry. Open-source Traefik leaves both types empty.
package ext

// HTTP is embedded in dynamic.HTTP.
type HTTP struct{}

// Router is embedded in dynamic.Router.
type Router struct{}
GO
          go mod edit -replace="$old=./ext"
        else
          die "traefik $TRAEFIK_VERSION replaces $old with $rel, which is not in the module cache and has no stand-in here"
        fi
      done
    jq -r '.Exclude[]? | "\(.Path)@\(.Version)"' <<<"$modjson" | while read -r e; do go mod edit -exclude="$e"; done
    go get "$module@$TRAEFIK_VERSION" >/dev/null
    drop_unavailable_dns_providers
    go get "$module/cmd/traefik@$TRAEFIK_VERSION" >/dev/null
  )
  mv "$work.new" "$work"
fi

ld="-s -w -X $module/pkg/version.Version=$TRAEFIK_VERSION"
ld+=" -X $module/pkg/version.BuildDate=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
mkdir -p "$TRAEFIK_BIN_DIR"
(
  cd "$work"
  go build -p "${GO_BUILD_JOBS:-2}" -trimpath -ldflags "$ld" -o "$TRAEFIK_BIN_DIR/traefik.tmp" "$module/cmd/traefik"
)
mv "$TRAEFIK_BIN_DIR/traefik.tmp" "$TRAEFIK_BIN_DIR/traefik"
log "traefik: $("$TRAEFIK_BIN_DIR/traefik" version | awk '/^Version:/{print $2}') built in $((SECONDS - start)) s"
echo "$TRAEFIK_BIN_DIR"
