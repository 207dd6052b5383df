// Generates the TypeScript messages and grpc-js client stubs into src/gen/.
//
// protoc comes from the project's Python venv (grpc_tools bundles it, with the
// google/protobuf well-known types) because npm packages that fetch a protoc
// binary at install time cannot reach their download host in CI. The
// google/rpc protos (Status, ErrorInfo) ship in the venv's
// googleapis-common-protos package.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, rmSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const repo = resolve(root, "../..");
const venv = process.env.GOVREPORT_VENV ?? join(repo, ".venv");
const python = join(venv, "bin", "python");
const plugin = join(root, "node_modules", ".bin", "protoc-gen-ts_proto");
const out = join(root, "src", "gen");

if (!existsSync(python)) {
  console.error(`generate: no Python venv at ${venv}: run \`make -C ${repo} setup\` (or set GOVREPORT_VENV)`);
  process.exit(1);
}

// Where googleapis-common-protos put google/rpc/*.proto (site-packages).
const googleapis = execFileSync(
  python,
  ["-c", "import os, google.rpc.status_pb2 as m; print(os.path.dirname(os.path.dirname(os.path.dirname(m.__file__))))"],
  { encoding: "utf8" },
).trim();

const protoDir = join(repo, "proto");
const govreportProtos = readdirSync(join(protoDir, "govreport", "v1"))
  .filter((name) => name.endsWith(".proto"))
  .map((name) => join(protoDir, "govreport", "v1", name));

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
execFileSync(
  python,
  [
    "-m",
    "grpc_tools.protoc",
    `--plugin=protoc-gen-ts_proto=${plugin}`,
    `--ts_proto_out=${out}`,
    // grpc-js service clients; ".js" import suffixes for Node's ESM resolution;
    // Buffer for bytes; optional message fields so requests can be written
    // sparsely; helper types kept private so index.ts can re-export every file;
    // no Exact<> on fromPartial, whose deep types made tsc 5-10x slower.
    [
      "--ts_proto_opt=outputServices=grpc-js",
      "env=node",
      "importSuffix=.js",
      "esModuleInterop=true",
      "useOptionals=messages",
      "exportCommonSymbols=false",
      "useExactTypes=false",
    ].join(","),
    `-I${protoDir}`,
    `-I${googleapis}`,
    ...govreportProtos,
    join(googleapis, "google", "rpc", "status.proto"),
    join(googleapis, "google", "rpc", "error_details.proto"),
  ],
  { stdio: "inherit" },
);
console.log(`generate: wrote ${out}`);
