#!/bin/sh
# Generates the Go code for proto/govreport/v1 into gen/ (never committed).
#
# The plugins are the `tool` entries of go.mod, so their versions are pinned by
# go.mod and go.sum like any other dependency; they are installed into .bin/.
# protoc comes from the project's Python venv (grpc_tools ships one, with the
# well-known types); set PROTOC to another protoc command to use that instead.
set -eu

here=$(cd "$(dirname "$0")/.." && pwd)
repo=$(cd "$here/../.." && pwd)

if [ -n "${PROTOC:-}" ]; then
	protoc=$PROTOC
elif [ -x "$repo/.venv/bin/python" ]; then
	protoc="$repo/.venv/bin/python -m grpc_tools.protoc"
elif command -v protoc >/dev/null 2>&1; then
	protoc=protoc
else
	echo "generate.sh: no protoc: run 'make -C $repo setup' (creates .venv with grpc_tools) or set PROTOC" >&2
	exit 1
fi

cd "$here"
GOBIN="$here/.bin" go install tool

# Generate into a fresh directory and swap it in, so that an interrupted run
# never leaves a half-written package behind.
tmp=$(mktemp -d "$here/.gen.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
# shellcheck disable=SC2086 # $protoc may be a command with arguments
$protoc -I"$repo/proto" \
	--plugin=protoc-gen-go="$here/.bin/protoc-gen-go" \
	--plugin=protoc-gen-go-grpc="$here/.bin/protoc-gen-go-grpc" \
	--go_out="$tmp" --go_opt=module=github.com/govreport/govreport/clients/go \
	--go-grpc_out="$tmp" --go-grpc_opt=module=github.com/govreport/govreport/clients/go \
	"$repo"/proto/govreport/v1/*.proto
rm -rf "$here/gen"
mv "$tmp/gen" "$here/gen"
