#!/usr/bin/env bash
# Builds a local stand-in for the official node:20-bookworm-slim image on a machine that cannot
# pull from a registry: a minimal Debian bookworm root (debootstrap), this machine's node and npm
# at the official image's paths, user and group `node` = 1000:1000, then `docker import`.
# Idempotent: nothing to do when the image exists (unless --force).
#
#   scripts/container/base-image.sh [--force]
#
# Environment: BASE_IMAGE (local/node:20-bookworm-slim), WORK_DIR (/tmp/gateway-container),
# MIRROR (default: the first .../debian URI of /etc/apt/sources.list.d), HOST_NODE (/usr/bin/node),
# HOST_NPM (/usr/lib/node_modules/npm). Needs root, debootstrap, docker.
set -euo pipefail

BASE_IMAGE="${BASE_IMAGE:-local/node:20-bookworm-slim}"
WORK_DIR="${WORK_DIR:-/tmp/gateway-container}"
HOST_NODE="${HOST_NODE:-/usr/bin/node}"
HOST_NPM="${HOST_NPM:-/usr/lib/node_modules/npm}"
log() { printf '[base-image] %s\n' "$*" >&2; }

if [ "${1:-}" != --force ] && docker image inspect "$BASE_IMAGE" >/dev/null 2>&1; then
  log "$BASE_IMAGE exists"
  exit 0
fi
[ "$(id -u)" = 0 ] || { log "needs root (debootstrap, chroot)"; exit 1; }
command -v debootstrap >/dev/null || { log "needs debootstrap (apt-get install -y debootstrap)"; exit 1; }
[ -x "$HOST_NODE" ] && [ -f "$HOST_NPM/bin/npm-cli.js" ] || { log "no node at $HOST_NODE or npm at $HOST_NPM"; exit 1; }
if [ -z "${MIRROR:-}" ]; then
  MIRROR="$(grep -hsE '^\s*URIs:' /etc/apt/sources.list.d/*.sources | awk '{for (i = 2; i <= NF; i++) print $i}' \
    | grep -E '/debian/?$' | head -n1 || true)"
fi
[ -n "${MIRROR:-}" ] || { log "no Debian mirror found: set MIRROR"; exit 1; }

mkdir -p "$WORK_DIR"
ROOT="$(mktemp -d "$WORK_DIR/rootfs.XXXXXX")"
trap 'for m in proc sys dev/pts; do mountpoint -q "$ROOT/$m" 2>/dev/null && umount -l "$ROOT/$m"; done; rm -rf --one-file-system "$ROOT"' EXIT

log "debootstrap minbase bookworm from $MIRROR"
debootstrap --variant=minbase --include=ca-certificates bookworm "$ROOT" "$MIRROR" >"$WORK_DIR/debootstrap.log" 2>&1 \
  || { tail -n 20 "$WORK_DIR/debootstrap.log" >&2; exit 1; }

install -D -m 0755 "$HOST_NODE" "$ROOT/usr/local/bin/node"
mkdir -p "$ROOT/usr/local/lib/node_modules"
cp -a "$HOST_NPM" "$ROOT/usr/local/lib/node_modules/npm"
ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$ROOT/usr/local/bin/npm"
ln -sf ../lib/node_modules/npm/bin/npx-cli.js "$ROOT/usr/local/bin/npx"
# This machine's extra CAs (an egress proxy's), so npm ci in the build trusts the registry.
if compgen -G "/usr/local/share/ca-certificates/*.crt" >/dev/null; then
  cp /usr/local/share/ca-certificates/*.crt "$ROOT/usr/local/share/ca-certificates/"
fi
chroot "$ROOT" /usr/sbin/update-ca-certificates >/dev/null 2>&1
mkdir -p "$ROOT/usr/local/etc" && echo 'cafile=/etc/ssl/certs/ca-certificates.crt' >"$ROOT/usr/local/etc/npmrc"
chroot "$ROOT" /usr/sbin/groupadd --gid 1000 node
chroot "$ROOT" /usr/sbin/useradd --uid 1000 --gid node --shell /bin/bash --create-home node
chroot "$ROOT" /usr/local/bin/node -e 'process.exit(0)'

rm -rf "$ROOT"/var/lib/apt/lists/* "$ROOT"/var/cache/apt/* "$ROOT"/usr/share/doc/* "$ROOT"/usr/share/man/* \
  "$ROOT"/dev/* "$ROOT"/proc/* "$ROOT"/sys/* "$ROOT"/tmp/*
: >"$ROOT/etc/resolv.conf"
log "importing $BASE_IMAGE"
tar --numeric-owner -C "$ROOT" -c . | docker import \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change "ENV NODE_VERSION=$("$HOST_NODE" --version | sed 's/^v//')" \
  --change 'CMD ["node"]' - "$BASE_IMAGE" >/dev/null
docker run --rm --network host --user 1000:1000 "$BASE_IMAGE" node -e 'console.log("node", process.version, "as uid", process.getuid())' >&2
