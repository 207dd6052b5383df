#!/usr/bin/env bash
# Builds the gateway's image from deploy/gateway/Dockerfile and smoke-tests it, without a Docker
# engine and without pulling anything (FROM scratch). Needs root, Go, and Debian's podman
# (installed when missing). deploy/image.sh / `make image` may run it after the server's image.
#
#   1. context   make -C gateway context: the static binary and the host's CA bundle in
#                gateway/bin/context/
#   2. build     podman build --isolation=chroot --format docker (HEALTHCHECK kept), storage vfs
#                under the cache (the image is one small layer)
#   3. rootfs    the image's root filesystem (podman create + podman mount): the binary and the CA
#                bundle, nothing else (no shell); a non-root numeric USER
#   4. serve     a real server on the host (.venv/bin/govreport serve --port 0), then the image's
#                ENTRYPOINT with its ENV and USER under chroot, in a private PID namespace, on the
#                host's network; GOVREPORT_GATEWAY_LISTEN and GOVREPORT_UPSTREAM overridden as
#                `docker run -e` would
#   5. smoke     curl: /healthz 200, POST /v1/extract of samples/000 (agency and year checked
#                against tests/gold), random bytes 400 UNSUPPORTED_FORMAT; the image's HEALTHCHECK
#                command inside the chroot; SIGTERM: exit 0
#
# Environment:
#   GOVREPORT_IMAGE_CACHE          cache folder (default ~/.cache/govreport-image); the gateway's
#                                  podman storage is gateway-storage/ in it
#   GOVREPORT_GATEWAY_IMAGE_TAG    the image's name (default localhost/govreport-gateway:VERSION)
#   GOVREPORT_IMAGE_KEEP=1         keep the smoke test's container afterwards
# Options: --no-smoke (build only).
set -euo pipefail

exec 3>&2
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$REPO"

SMOKE=1
for arg in "$@"; do
  case "$arg" in
    --no-smoke) SMOKE=0 ;;
    -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "gateway/image.sh: unknown argument $arg (see --help)" >&2; exit 2 ;;
  esac
done
if [ "$(id -u)" -ne 0 ]; then
  echo "gateway/image.sh: needs root (podman's storage, chroot, PID namespace)" >&2
  exit 1
fi

VERSION="$(python3 -c 'import tomllib; print(tomllib.load(open("pyproject.toml", "rb"))["project"]["version"])')"
CACHE="${GOVREPORT_IMAGE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/govreport-image}"
TAG="${GOVREPORT_GATEWAY_IMAGE_TAG:-localhost/govreport-gateway:$VERSION}"
HOST_SERVER="$REPO/.venv/bin/govreport"
CONTEXT="$REPO/gateway/bin/context"
samples=(server/govreport/samples/000_*.txt)
SAMPLE="${samples[0]}"
GOLD="tests/gold/$(basename "$SAMPLE" .txt).meta.json"

mkdir -p "$CACHE"
# Its own lock and storage: deploy/image.sh holds $CACHE/.lock (and tidies its own storage's
# build containers) while it may run this.
exec 9>"$CACHE/.lock-gateway"
if ! flock -n 9; then
  echo "gateway image: another deploy/gateway/image.sh is using $CACHE; waiting for it" >&2
  flock 9
fi
RUNROOT="/run/govreport-gateway-image-$(printf '%s' "$CACHE" | sha256sum | cut -c1-8)"
PODMAN=(podman --root "$CACHE/gateway-storage" --runroot "$RUNROOT" --storage-driver vfs
  --cgroup-manager cgroupfs --events-backend file)

STEP_LABEL="gateway image"
# shellcheck source=deploy/steps.sh
source "$REPO/deploy/steps.sh"

WORK="$(mktemp -d /tmp/govreport-gateway-image.XXXXXX)"
CONTAINER=""
SERVER_PID=""  # the Python server on the host
NS_PID=""      # unshare: the gateway's namespace parent
GW_PID=""      # the gateway (PID 1 of its PID namespace), as the host sees it
cleanup() {
  local rc=$?
  set +e
  if [ -n "$NS_PID" ]; then
    kill -KILL "$NS_PID" 2>/dev/null # --kill-child: the gateway goes with it
    wait "$NS_PID" 2>/dev/null
  fi
  if [ -n "$SERVER_PID" ]; then
    kill -TERM "$SERVER_PID" 2>/dev/null
    for _ in $(seq 1 200); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$SERVER_PID" 2>/dev/null
    wait "$SERVER_PID" 2>/dev/null
  fi
  if [ -n "$CONTAINER" ] && [ "${GOVREPORT_IMAGE_KEEP:-0}" != 1 ]; then
    "${PODMAN[@]}" umount "$CONTAINER" >/dev/null 2>&1
    "${PODMAN[@]}" rm --force "$CONTAINER" >/dev/null 2>&1
  elif [ -n "$CONTAINER" ]; then
    echo "gateway image: kept container $CONTAINER (${PODMAN[*]} ...)" >&3
  fi
  if [ "$rc" -ne 0 ]; then
    for log in server gateway; do
      [ -s "$WORK/$log.log" ] && { echo "--- $log output (last 30 lines)" >&3; tail -n 30 "$WORK/$log.log" >&3; }
    done
    echo "gateway image: FAILED${STEP:+ in step '$STEP'} (exit $rc)" >&3
  fi
  rm -rf --one-file-system "$WORK"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---------------------------------------------------------------- 1. context

step context
need=()
command -v podman >/dev/null || need+=(podman)
command -v unshare >/dev/null || need+=(util-linux)
command -v curl >/dev/null || need+=(curl)
if [ "${#need[@]}" -gt 0 ]; then
  echo "gateway image: installing ${need[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
podman --version >&2
make --no-print-directory -C gateway context VERSION="$VERSION" >&2
file_info="$(file -b "$CONTEXT/govreport-gateway" 2>/dev/null || true)"
case "$file_info" in
  *dynamically*) echo "gateway image: the binary is dynamically linked ($file_info)" >&2; exit 1 ;;
esac
echo "gateway image: $(du -h "$CONTEXT/govreport-gateway" | cut -f1) binary, $("$CONTEXT/govreport-gateway" -version)" >&2

# ---------------------------------------------------------------- 2. build

step build
"${PODMAN[@]}" build --format docker --isolation=chroot --pull=never --layers=false \
  --build-arg "VERSION=$VERSION" --file deploy/gateway/Dockerfile --tag "$TAG" "$CONTEXT" \
  > >(sed -u 's/^/   | /' >&2) 2>&1
size="$("${PODMAN[@]}" image inspect --format '{{.Size}}' "$TAG")"
echo "gateway image: built $TAG ($((size / 1024 / 1024)) MiB)" >&2
"${PODMAN[@]}" image prune --force >/dev/null 2>&1 || true

if [ "$SMOKE" = 0 ]; then
  end_step
  printf '%s\n' "${TIMES[@]}" >&2
  exit 0
fi

# ---------------------------------------------------------------- 3. rootfs

step rootfs
CONTAINER="$("${PODMAN[@]}" create --no-healthcheck --name "govreport-gateway-smoke-$$" "$TAG")"
ROOT="$("${PODMAN[@]}" mount "$CONTAINER")"
inspect() { "${PODMAN[@]}" image inspect --format "$1" "$TAG"; }
mapfile -t IMAGE_ENV < <(inspect '{{range .Config.Env}}{{println .}}{{end}}' | sed '/^$/d')
mapfile -t ENTRYPOINT < <(inspect '{{range .Config.Entrypoint}}{{println .}}{{end}}' | sed '/^$/d')
mapfile -t HEALTHCHECK < <(inspect '{{if .Config.Healthcheck}}{{range .Config.Healthcheck.Test}}{{println .}}{{end}}{{end}}' | sed '/^$/d')
USERSPEC="$(inspect '{{.Config.User}}')"
PORTS="$(inspect '{{range $p, $_ := .Config.ExposedPorts}}{{$p}} {{end}}')"
case "$USERSPEC" in
  "" | root | 0 | 0:*) echo "gateway image: the image runs as root ($USERSPEC)" >&2; exit 1 ;;
  *[!0-9:]*) echo "gateway image: USER $USERSPEC is not numeric (scratch has no /etc/passwd)" >&2; exit 1 ;;
  *:*) ;;
  *) USERSPEC="$USERSPEC:$USERSPEC" ;;
esac
[ "${PORTS% }" = "8080/tcp" ] || { echo "gateway image: EXPOSE is '$PORTS', expected 8080/tcp" >&2; exit 1; }
# Everything in the image: the binary and the CA bundle (and the empty folders podman adds).
files="$(cd "$ROOT" && find . -type f -o -type l | sort | tr '\n' ' ')"
[ "$files" = "./etc/ssl/certs/ca-certificates.crt ./govreport-gateway " ] \
  || { echo "gateway image: unexpected files in the image: $files" >&2; exit 1; }
[ -x "$ROOT${ENTRYPOINT[0]}" ] || { echo "gateway image: no executable ${ENTRYPOINT[0]}" >&2; exit 1; }
echo "gateway image: user $USERSPEC, entrypoint ${ENTRYPOINT[*]}, exposes $PORTS, files $files" >&2

# ---------------------------------------------------------------- 4. serve

step serve
[ -x "$HOST_SERVER" ] || { echo "gateway image: $HOST_SERVER missing: run make setup" >&2; exit 1; }
"$HOST_SERVER" serve --host 127.0.0.1 --port 0 --log-level WARNING --drain-seconds 1 >"$WORK/server.log" 2>&1 &
SERVER_PID=$!
upstream=""
for _ in $(seq 1 900); do
  upstream="$(sed -n 's/^govreport listening on //p' "$WORK/server.log")"
  [ -n "$upstream" ] && break
  kill -0 "$SERVER_PID" 2>/dev/null || { echo "gateway image: the server did not start" >&2; exit 1; }
  sleep 0.1
done
[ -n "$upstream" ] || { echo "gateway image: the server printed no address in 90 s" >&2; exit 1; }
port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
ENV_RUN=(/usr/bin/env -i "${IMAGE_ENV[@]}" "GOVREPORT_GATEWAY_LISTEN=127.0.0.1:$port" "GOVREPORT_UPSTREAM=$upstream")
# The image's ENV then the overrides, set by the host's env before chroot (the image has none);
# in the background as a simple command, so that $! is unshare and its one child the gateway.
"${ENV_RUN[@]}" unshare --pid --fork --kill-child=SIGKILL \
  chroot --userspec="$USERSPEC" "$ROOT" "${ENTRYPOINT[@]}" >"$WORK/gateway.log" 2>&1 &
NS_PID=$!
addr=""
for _ in $(seq 1 100); do
  [ -n "$GW_PID" ] || GW_PID="$(pgrep -P "$NS_PID" | head -n 1 || true)"
  addr="$(sed -n 's/^govreport-gateway listening on //p' "$WORK/gateway.log")"
  [ -n "$addr" ] && break
  kill -0 "$NS_PID" 2>/dev/null || { echo "gateway image: the gateway in the image did not start" >&2; exit 1; }
  sleep 0.1
done
[ -n "$addr" ] || { echo "gateway image: no 'govreport-gateway listening on' line in 10 s" >&2; exit 1; }
echo "gateway image: the image's gateway on $addr (pid $GW_PID), upstream $upstream" >&2

# ---------------------------------------------------------------- 5. smoke

step smoke
base="http://127.0.0.1:$port"
code="$(curl -sS -o "$WORK/health.json" -w '%{http_code}' "$base/healthz")"
[ "$code" = 200 ] || { echo "gateway image: GET /healthz: $code $(cat "$WORK/health.json")" >&2; exit 1; }
python3 - "$SAMPLE" >"$WORK/request.json" <<'EOF'
import base64, json, os, sys
data = open(sys.argv[1], "rb").read()
print(json.dumps({"content": base64.b64encode(data).decode(), "filename": os.path.basename(sys.argv[1])}))
EOF
code="$(curl -sS -o "$WORK/extract.json" -w '%{http_code}' -H 'Content-Type: application/json' \
  --data-binary @"$WORK/request.json" "$base/v1/extract")"
[ "$code" = 200 ] || { echo "gateway image: POST /v1/extract: $code $(head -c 500 "$WORK/extract.json")" >&2; exit 1; }
python3 - "$WORK/extract.json" "$GOLD" <<'EOF'
import json, sys
got = json.load(open(sys.argv[1], encoding="utf-8"))["extraction"]["report"]["metadata"]
want = json.load(open(sys.argv[2], encoding="utf-8"))
for key, field in (("agency", "agency"), ("report_year", "reportYear")):
    if got.get(field) != want[key]:
        sys.exit(f"gateway image: extract: {field} {got.get(field)!r}, expected {want[key]!r}")
print(f"gateway image: extracted {got['agency']} {got['reportYear']} through the image", file=sys.stderr)
EOF
head -c 4096 /dev/urandom | python3 -c 'import base64, json, sys; print(json.dumps({"content": base64.b64encode(b"\x01" + sys.stdin.buffer.read()).decode()}))' >"$WORK/junk.json"
code="$(curl -sS -o "$WORK/junk.out" -D "$WORK/junk.headers" -w '%{http_code}' --data-binary @"$WORK/junk.json" "$base/v1/extract")"
reason="$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["details"][0]["reason"])' "$WORK/junk.out" 2>/dev/null || true)"
if [ "$code" != 400 ] || [ "$reason" != UNSUPPORTED_FORMAT ] || ! grep -qi '^x-request-id: ' "$WORK/junk.headers"; then
  echo "gateway image: random bytes: $code $(cat "$WORK/junk.out"), want 400 UNSUPPORTED_FORMAT with X-Request-Id" >&2
  exit 1
fi
echo "gateway image: /healthz 200, extract 200, random bytes 400 UNSUPPORTED_FORMAT" >&2
# The image's HEALTHCHECK command, inside the image, with the container's environment.
hc=("${HEALTHCHECK[@]}")
[ "${hc[0]:-}" = CMD ] || { echo "gateway image: the image has no exec-form HEALTHCHECK (${hc[*]})" >&2; exit 1; }
"${ENV_RUN[@]}" chroot --userspec="$USERSPEC" "$ROOT" "${hc[@]:1}" >&2 \
  || { echo "gateway image: the image's HEALTHCHECK (${hc[*]:1}) failed" >&2; exit 1; }
# SIGTERM: the gateway stops taking connections, finishes, exits 0.
kill -TERM "$GW_PID"
for _ in $(seq 1 100); do kill -0 "$NS_PID" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$NS_PID" 2>/dev/null; then echo "gateway image: the gateway did not stop within 10 s of SIGTERM" >&2; exit 1; fi
rc=0
wait "$NS_PID" || rc=$?
NS_PID=""
GW_PID=""
[ "$rc" -eq 0 ] || { echo "gateway image: the gateway exited $rc after SIGTERM" >&2; exit 1; }
grep -q '"msg":"stopped"' "$WORK/gateway.log" || { echo "gateway image: no 'stopped' log line" >&2; exit 1; }
echo "gateway image: SIGTERM: exited 0" >&2

steps_summary "$TAG built and smoke-tested"
