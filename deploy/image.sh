#!/usr/bin/env bash
# Builds the container image from ./Dockerfile and smoke-tests it, without a Docker engine
# (`make image` runs this). Needs root, Debian's podman and debootstrap (installed when missing).
#
#   1. base      a debian:bookworm-slim look-alike made with `debootstrap --variant=minbase`,
#                cached as a tarball, imported as localhost/govreport-base:bookworm
#   2. build     podman build --isolation=chroot of ./Dockerfile on that base (storage driver
#                overlay when the kernel allows it here, else vfs)
#   3. rootfs    the image's root filesystem (podman create + podman mount)
#   4. inspect   inside it: tesseract has chi_sim, python imports, no compiler, no pip, user
#   5. serve     the image's ENTRYPOINT+CMD, ENV, USER and WORKDIR, run with chroot in private
#                mount and PID namespaces (a fresh /proc, a minimal /dev, tmpfs /tmp), as in a
#                container but on the host's network, with `--host 127.0.0.1 --port 0`
#   6. smoke     the host's CLI: health, an extract of samples/000 (its agency and year checked
#                against tests/gold), /metrics; the image's own HEALTHCHECK command inside the
#                chroot; then SIGTERM: the server must drain and exit 0
#
# Environment:
#   GOVREPORT_IMAGE_CACHE     cache folder (default ~/.cache/govreport-image): the base tarball and
#                             podman's storage, so a second run reuses both
#   GOVREPORT_IMAGE_STORAGE_DRIVER  overlay, vfs, or auto (default: overlay if it mounts here)
#   GOVREPORT_IMAGE_TAG       the image's name (default localhost/govreport:VERSION from pyproject)
#   GOVREPORT_IMAGE_MIRROR    Debian mirror (default http://deb.debian.org/debian)
#   GOVREPORT_IMAGE_BASE_DAYS the base tarball is made again when older (default 7)
#   GOVREPORT_IMAGE_EXTRA_CA  folder of *.crt the local base trusts (default
#                             /usr/local/share/ca-certificates: a TLS-intercepting egress proxy's
#                             CA, without which pip cannot reach PyPI from inside the build);
#                             set it empty to add none. The Dockerfile itself adds no CA.
#   GOVREPORT_IMAGE_KEEP=1    keep the smoke test's container (its root filesystem) afterwards
# Options: --no-smoke (build only), --refresh-base (make the base again).
set -euo pipefail

exec 3>&2 # the terminal's stderr, for messages from the traps (a step may redirect fd 2)
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO"

SMOKE=1
REFRESH_BASE=0
for arg in "$@"; do
  case "$arg" in
    --no-smoke) SMOKE=0 ;;
    --refresh-base) REFRESH_BASE=1 ;;
    -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "image.sh: unknown argument $arg (see --help)" >&2; exit 2 ;;
  esac
done

if [ "$(id -u)" -ne 0 ]; then
  echo "image.sh: needs root (debootstrap, chroot, mount namespaces)" >&2
  exit 1
fi

VERSION="$(python3 -c 'import tomllib; print(tomllib.load(open("pyproject.toml", "rb"))["project"]["version"])')"
CACHE="${GOVREPORT_IMAGE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/govreport-image}"
TAG="${GOVREPORT_IMAGE_TAG:-localhost/govreport:$VERSION}"
MIRROR="${GOVREPORT_IMAGE_MIRROR:-http://deb.debian.org/debian}"
BASE_DAYS="${GOVREPORT_IMAGE_BASE_DAYS:-7}"
EXTRA_CA="${GOVREPORT_IMAGE_EXTRA_CA-/usr/local/share/ca-certificates}"
BASE_IMAGE="localhost/govreport-base:bookworm"
BASE_TAR="$CACHE/bookworm-minbase.tar"
HOST_CLI="$REPO/.venv/bin/govreport"
samples=(server/govreport/samples/000_*.txt)
SAMPLE="${samples[0]}"
GOLD="tests/gold/$(basename "$SAMPLE" .txt).meta.json"

mkdir -p "$CACHE"
# One run at a time per cache: two would build into the same storage and remove each other's
# build containers (see the build step).
exec 9>"$CACHE/.lock"
if ! flock -n 9; then
  echo "image: another deploy/image.sh is using $CACHE; waiting for it" >&2
  flock 9
fi
RUNROOT="/run/govreport-image-$(printf '%s' "$CACHE" | sha256sum | cut -c1-8)" # podman's state, per cache
# podman with a storage of its own under the cache (one per driver), so that nothing else's
# podman storage is touched and a second run finds its layers again.
podman_with() {
  DRIVER="$1"
  PODMAN=(podman --root "$CACHE/storage-$DRIVER" --runroot "$RUNROOT-$DRIVER" --storage-driver "$DRIVER"
    --cgroup-manager cgroupfs --events-backend file)
}

# ---------------------------------------------------------------- timing and cleanup

STEP_LABEL="image"
# shellcheck source=deploy/steps.sh
source "$REPO/deploy/steps.sh"

WORK="$(mktemp -d /tmp/govreport-image.XXXXXX)"
CONTAINER=""
BG_PID=""   # a long command (debootstrap, podman build) run by run_bg
NS_PID=""   # unshare: the namespaces' parent
SERVER_PID="" # the server (PID 1 of its PID namespace), as the host sees it
cleanup() {
  local rc=$?
  set +e
  if [ -n "$BG_PID" ] && kill -0 "$BG_PID" 2>/dev/null; then
    kill -TERM "$BG_PID" 2>/dev/null # podman build stops, but leaves its build containers
    for _ in $(seq 1 300); do kill -0 "$BG_PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$BG_PID" 2>/dev/null
    wait "$BG_PID" 2>/dev/null
    [ "$STEP" != build ] || remove_build_containers
  fi
  if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill -KILL "$SERVER_PID" 2>/dev/null # PID 1 of its namespace: its workers go with it
  fi
  if [ -n "$NS_PID" ]; then
    kill -KILL "$NS_PID" 2>/dev/null
    wait "$NS_PID" 2>/dev/null
  fi
  # The mounts (proc, dev, tmp) lived in the private mount namespace: gone with its processes.
  if [ -n "$CONTAINER" ] && [ "${GOVREPORT_IMAGE_KEEP:-0}" != 1 ]; then
    "${PODMAN[@]}" umount "$CONTAINER" >/dev/null 2>&1
    "${PODMAN[@]}" rm --force "$CONTAINER" >/dev/null 2>&1
  elif [ -n "$CONTAINER" ]; then
    echo "image: kept container $CONTAINER (${PODMAN[*]} ...)" >&3
  fi
  if [ -d "$WORK/base" ]; then
    # A debootstrap interrupted half-way may have left /proc or /sys mounted in its target.
    for m in proc sys dev/pts dev; do umount -l "$WORK/base/$m" 2>/dev/null; done
  fi
  rm -rf --one-file-system "$WORK"
  if [ "$rc" -ne 0 ]; then
    [ -s "$WORK.log" ] && { echo "--- server output (last 40 lines)" >&3; tail -n 40 "$WORK.log" >&3; }
    # shellcheck disable=SC2016 # the quotes are part of the message
    echo "image: FAILED${STEP:+ in step '$STEP'} (exit $rc)" >&3
  fi
  rm -f "$WORK.log"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Build containers (and their mounts) left by an interrupted `podman build`, which removes its
# own only when it ends normally. Safe under the lock: no other build uses this storage.
remove_build_containers() {
  local stale
  mapfile -t stale < <("${PODMAN[@]}" ps --all --external --format '{{.ID}} {{.Command}}' 2>/dev/null |
    awk '$2 == "buildah" { print $1 }')
  if [ "${#stale[@]}" -gt 0 ]; then
    echo "image: removing ${#stale[@]} build containers of an interrupted build" >&3
    "${PODMAN[@]}" rm --force "${stale[@]}" >/dev/null 2>&1
  fi
}

# run_bg CMD...: CMD in the background, waited for, so that a signal reaches the traps at once
# (bash runs a trap only after a foreground command ends) and cleanup can stop CMD.
run_bg() {
  local rc=0
  "$@" &
  BG_PID=$!
  wait "$BG_PID" || rc=$?
  BG_PID=""
  return "$rc"
}

# ---------------------------------------------------------------- 0. tools

step tools
need=()
command -v debootstrap >/dev/null || need+=(debootstrap)
command -v podman >/dev/null || need+=(podman)
command -v unshare >/dev/null || need+=(util-linux)
if [ "${#need[@]}" -gt 0 ]; then
  echo "image: installing ${need[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
[ -x "$HOST_CLI" ] || { echo "image: $HOST_CLI missing: run make setup" >&2; exit 1; }
podman --version >&2
# The storage driver: overlay when the kernel mounts an overlay beside the cache (a layer is
# then its changes only), else vfs (works anywhere, but every layer is a full copy of the root
# filesystem: builds are several times slower and the storage several times larger).
driver="${GOVREPORT_IMAGE_STORAGE_DRIVER:-auto}"
if [ "$driver" = auto ]; then
  driver=vfs
  probe="$CACHE/.overlay-probe"
  rm -rf "$probe" && mkdir -p "$probe"/{lower,upper,work,merged}
  if mount -t overlay overlay -o "lowerdir=$probe/lower,upperdir=$probe/upper,workdir=$probe/work" \
    "$probe/merged" 2>/dev/null; then
    umount "$probe/merged" && driver=overlay
  fi
  rm -rf "$probe"
fi
podman_with "$driver"
echo "image: podman storage driver $DRIVER ($CACHE/storage-$DRIVER)" >&2

# ---------------------------------------------------------------- 1. base

step base
# What goes into the base, hashed: the tarball is made again when this script's base recipe or
# the extra CAs change, or when it is older than BASE_DAYS (security updates).
ca_files=()
if [ -n "$EXTRA_CA" ] && [ -d "$EXTRA_CA" ]; then
  mapfile -t ca_files < <(find "$EXTRA_CA" -maxdepth 1 -name '*.crt' -type f | sort)
fi
base_key="$( { echo "bookworm minbase $MIRROR v2"; [ "${#ca_files[@]}" -eq 0 ] || cat "${ca_files[@]}"; } | sha256sum | cut -c1-16)"
if [ "$REFRESH_BASE" = 1 ] || [ ! -s "$BASE_TAR" ] || [ "$(cat "$BASE_TAR.key" 2>/dev/null)" != "$base_key" ] \
  || [ -n "$(find "$BASE_TAR" -mtime "+$BASE_DAYS" 2>/dev/null)" ]; then
  echo "image: debootstrap --variant=minbase bookworm $MIRROR" >&2
  mkdir "$WORK/base"
  if ! run_bg debootstrap --variant=minbase bookworm "$WORK/base" "$MIRROR" >"$WORK/debootstrap.log" 2>&1; then
    tail -n 30 "$WORK/debootstrap.log" >&2
    [ -f "$WORK/base/debootstrap/debootstrap.log" ] && tail -n 30 "$WORK/base/debootstrap/debootstrap.log" >&2
    exit 1
  fi
  b="$WORK/base"
  # As the official debian:bookworm-slim: bookworm, -updates and -security in deb822 form ...
  rm -f "$b/etc/apt/sources.list"
  security_mirror="${MIRROR%/debian}/debian-security"
  cat >"$b/etc/apt/sources.list.d/debian.sources" <<EOF
Types: deb
URIs: $MIRROR
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: $security_mirror
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
  # ... no documentation, manual pages or translations in later packages, no apt caches.
  cat >"$b/etc/dpkg/dpkg.cfg.d/docker" <<'EOF'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/groff/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
path-include /usr/share/locale/locale.alias
path-exclude /usr/share/lintian/*
path-exclude /usr/share/linda/*
EOF
  cat >"$b/etc/apt/apt.conf.d/docker-clean" <<'EOF'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
EOF
  echo 'Acquire::Languages "none";' >"$b/etc/apt/apt.conf.d/docker-no-languages"
  if [ "${#ca_files[@]}" -gt 0 ]; then
    echo "image: the local base trusts ${ca_files[*]} (picked up when the build installs ca-certificates)" >&2
    mkdir -p "$b/usr/local/share/ca-certificates"
    cp "${ca_files[@]}" "$b/usr/local/share/ca-certificates/"
  fi
  rm -rf "$b"/var/cache/apt/* "$b"/var/lib/apt/lists/* "$b"/var/log/* "$b"/tmp/* "$b"/debootstrap
  : >"$b/etc/hostname"
  : >"$b/etc/resolv.conf"
  tar --numeric-owner --xattrs -C "$b" -cf "$BASE_TAR.new" .
  mv "$BASE_TAR.new" "$BASE_TAR"
  echo "$base_key" >"$BASE_TAR.key"
  rm -rf "$b"
else
  echo "image: cached base $BASE_TAR ($(du -h "$BASE_TAR" | cut -f1))" >&2
fi
tar_sum="$(sha256sum "$BASE_TAR" | cut -c1-32)"
have_sum="$("${PODMAN[@]}" image inspect --format '{{index .Labels "govreport.base.tar"}}' "$BASE_IMAGE" 2>/dev/null || true)"
if [ "$have_sum" != "$tar_sum" ]; then
  "${PODMAN[@]}" import \
    --change 'CMD ["bash"]' \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change "LABEL govreport.base.tar=$tar_sum" \
    "$BASE_TAR" "$BASE_IMAGE" >/dev/null
  echo "image: imported $BASE_IMAGE" >&2
else
  echo "image: $BASE_IMAGE is up to date" >&2
fi

# ---------------------------------------------------------------- 2. build

step build
remove_build_containers
# --format docker: the OCI image format has no HEALTHCHECK and no SHELL (podman drops both).
BUILD=("${PODMAN[@]}" build --format docker --isolation=chroot --pull=never --layers
  --build-arg "BASE=$BASE_IMAGE" --build-arg "VERSION=$VERSION" --file Dockerfile)
# The build stage first, under a tag of its own: its layers are then no dangling images, and the
# prune below keeps them as the next run's cache. The second build reuses them.
run_bg "${BUILD[@]}" --target build --tag "${TAG%:*}-build:${TAG##*:}" . > >(sed -u 's/^/   | /' >&2) 2>&1
run_bg "${BUILD[@]}" --tag "$TAG" . > >(sed -u 's/^/   | /' >&2) 2>&1
"${PODMAN[@]}" image inspect --format '{{.Id}}' "$TAG" >/dev/null
size="$("${PODMAN[@]}" image inspect --format '{{.Size}}' "$TAG")"
echo "image: built $TAG ($((size / 1024 / 1024)) MiB)" >&2
# Earlier builds of the same tags are dangling now: drop them (vfs keeps a full copy a layer).
"${PODMAN[@]}" image prune --force >/dev/null 2>&1 || true
echo "image: podman storage $(du -sh "$CACHE/storage-$DRIVER" 2>/dev/null | cut -f1) in $CACHE/storage-$DRIVER" >&2

if [ "$SMOKE" = 0 ]; then
  end_step
  printf '%s\n' "${TIMES[@]}" >&2
  exit 0
fi

# ---------------------------------------------------------------- 3. rootfs

step rootfs
CONTAINER="$("${PODMAN[@]}" create --no-healthcheck --name "govreport-smoke-$$" "$TAG")"
ROOT="$("${PODMAN[@]}" mount "$CONTAINER")"
[ -x "$ROOT/opt/govreport/bin/govreport" ] || { echo "image: no /opt/govreport/bin/govreport in $ROOT" >&2; exit 1; }

# The image's configuration, run as a container runtime would.
inspect() { "${PODMAN[@]}" image inspect --format "$1" "$TAG"; }
mapfile -t IMAGE_ENV < <(inspect '{{range .Config.Env}}{{println .}}{{end}}' | sed '/^$/d')
mapfile -t ENTRYPOINT < <(inspect '{{range .Config.Entrypoint}}{{println .}}{{end}}' | sed '/^$/d')
mapfile -t CMD < <(inspect '{{range .Config.Cmd}}{{println .}}{{end}}' | sed '/^$/d')
mapfile -t HEALTHCHECK < <(inspect '{{if .Config.Healthcheck}}{{range .Config.Healthcheck.Test}}{{println .}}{{end}}{{end}}' | sed '/^$/d')
USERSPEC="$(inspect '{{.Config.User}}')"
WORKDIR="$(inspect '{{.Config.WorkingDir}}')"
case "$USERSPEC" in
  "" | root | 0 | 0:*) echo "image: the image runs as root ($USERSPEC)" >&2; exit 1 ;;
  *:*) ;;
  *) USERSPEC="$USERSPEC:$USERSPEC" ;;
esac
echo "image: user $USERSPEC, workdir ${WORKDIR:-/}, entrypoint ${ENTRYPOINT[*]}, cmd ${CMD[*]}" >&2

# in_image CMD...: runs CMD in the image's root, as its user, with its ENV and WORKDIR,
# in private mount and PID namespaces with /proc, a minimal /dev and a tmpfs /tmp.
# shellcheck disable=SC2016 # expanded by the bash inside the namespaces
NS_SETUP='
set -e
root=$1; shift
mount -t proc -o nosuid,nodev,noexec proc "$root/proc"
mount -t tmpfs -o nosuid,mode=755,size=1m tmpfs "$root/dev"
for d in null zero full random urandom tty; do
  touch "$root/dev/$d"; mount --bind "/dev/$d" "$root/dev/$d"
done
ln -s /proc/self/fd "$root/dev/fd"; ln -s /proc/self/fd/0 "$root/dev/stdin"
ln -s /proc/self/fd/1 "$root/dev/stdout"; ln -s /proc/self/fd/2 "$root/dev/stderr"
mkdir "$root/dev/shm" "$root/dev/pts"
mount -t tmpfs -o nosuid,nodev,mode=1777,size=256m tmpfs "$root/dev/shm"
mount -t tmpfs -o nosuid,nodev,mode=1777,size=1g tmpfs "$root/tmp"
exec "$@"
'
IN_IMAGE=(unshare --mount --propagation private --pid --fork --kill-child=SIGKILL
  bash -c "$NS_SETUP" ns "$ROOT"
  chroot --userspec="$USERSPEC" "$ROOT"
  /usr/bin/env -i -C "${WORKDIR:-/}" HOSTNAME=govreport-smoke HOME=/home/govreport "${IMAGE_ENV[@]}")
in_image() { "${IN_IMAGE[@]}" "$@"; }

# ---------------------------------------------------------------- 4. inspect

step inspect
in_image tesseract --list-langs 2>&1 | grep -x chi_sim >/dev/null \
  || { echo "image: tesseract in the image has no chi_sim" >&2; exit 1; }
in_image python3 -c 'import cv2, pypdfium2, pytesseract, tesserocr, lxml.etree, docx, pdfplumber, govreport.server, govreport.v1.service_pb2_grpc' \
  || { echo "image: the server's imports fail in the image" >&2; exit 1; }
for tool in gcc cc g++ make pip pip3 apt-file; do
  if in_image sh -c "command -v $tool" >/dev/null 2>&1; then
    echo "image: the image has a build tool it should not: $tool" >&2; exit 1
  fi
done
in_image id -un | grep -x govreport >/dev/null || { echo "image: the image's user is not govreport" >&2; exit 1; }
echo "image: chi_sim ok, imports ok, no compiler or pip, user govreport" >&2

# ---------------------------------------------------------------- 5. serve

step serve
# In the background as a simple command, so that $! is unshare itself and its one child the server.
"${IN_IMAGE[@]}" "${ENTRYPOINT[@]}" "${CMD[@]}" --host 127.0.0.1 --port 0 --metrics-port 0 \
  --drain-seconds 1 >"$WORK.log" 2>&1 &
NS_PID=$!
addr=""
metrics=""
for _ in $(seq 1 600); do
  [ -n "$SERVER_PID" ] || SERVER_PID="$(pgrep -P "$NS_PID" | head -n 1 || true)"
  addr="$(sed -n 's/^govreport listening on //p' "$WORK.log")"
  metrics="$(sed -n 's/^govreport metrics on //p' "$WORK.log")"
  [ -n "$addr" ] && [ -n "$metrics" ] && break
  kill -0 "$NS_PID" 2>/dev/null || { echo "image: the server in the image did not start" >&2; exit 1; }
  sleep 0.1
done
[ -n "$addr" ] || { echo "image: no 'govreport listening on' line in 60 s" >&2; exit 1; }
head -n 1 "$WORK.log" | grep -q '^govreport listening on ' \
  || { echo "image: the first line on stdout is not 'govreport listening on'" >&2; exit 1; }
echo "image: serving on $addr, metrics on $metrics (pid $SERVER_PID)" >&2

# ---------------------------------------------------------------- 6. smoke

step smoke
"$HOST_CLI" health --server "$addr" --wait 30 >&2
rc=0
"$HOST_CLI" extract --server "$addr" --format json "$SAMPLE" >"$WORK/extract.json" || rc=$?
[ "$rc" -le 1 ] || { echo "image: extract through the image failed (exit $rc)" >&2; exit 1; }
python3 - "$WORK/extract.json" "$GOLD" <<'EOF'
import json, sys
got = json.load(open(sys.argv[1], encoding="utf-8"))["report"]["metadata"]
want = json.load(open(sys.argv[2], encoding="utf-8"))
# The CLI prints protojson's names (docs/clients.md); the gold file keeps the .proto's.
for key, field in (("agency", "agency"), ("report_year", "reportYear")):
    if got.get(field) != want[key]:
        sys.exit(f"image: extract through the image: {field} {got.get(field)!r}, expected {want[key]!r}")
print(f"image: extracted {got['agency']} {got['reportYear']} through the image", file=sys.stderr)
EOF
# The image's HEALTHCHECK command, run where Docker would run it (inside), against our port.
hc=("${HEALTHCHECK[@]}")
[ "${hc[0]:-}" = CMD ] || { echo "image: the image has no exec-form HEALTHCHECK (${hc[*]})" >&2; exit 1; }
hc=("${hc[@]:1}")
hc=("${hc[@]//127.0.0.1:50051/$addr}")
nsenter --target "$SERVER_PID" --mount --pid --root --wd \
  /usr/sbin/chroot --userspec="$USERSPEC" / /usr/bin/env -i "${IMAGE_ENV[@]}" "${hc[@]}" >&2 \
  || { echo "image: the image's HEALTHCHECK (${hc[*]}) failed" >&2; exit 1; }
python3 - "$metrics" <<'EOF'
import sys, urllib.request
text = urllib.request.urlopen(f"http://{sys.argv[1]}/metrics", timeout=10).read().decode()
if 'govreport_requests_total{' not in text:
    sys.exit("image: /metrics has no govreport_requests_total")
print("image: /metrics ok", file=sys.stderr)
EOF
# SIGTERM: NOT_SERVING, drain, exit 0 (tini passes the signal and the exit code on).
kill -TERM "$SERVER_PID"
for _ in $(seq 1 300); do kill -0 "$NS_PID" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$NS_PID" 2>/dev/null; then echo "image: the server did not stop within 30 s of SIGTERM" >&2; exit 1; fi
rc=0
wait "$NS_PID" || rc=$?
NS_PID=""
SERVER_PID=""
[ "$rc" -eq 0 ] || { echo "image: the server exited $rc after SIGTERM" >&2; exit 1; }
grep -q '"stopped"\|stopped' "$WORK.log" || { echo "image: no 'stopped' log line" >&2; exit 1; }
echo "image: SIGTERM: drained and exited 0" >&2

steps_summary "$TAG built and smoke-tested"
