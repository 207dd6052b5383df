# The govreport server image.
#
#   docker build -t govreport:0.1.0 .
#   docker run --rm -p 50051:50051 -p 9464:9464 govreport:0.1.0
#
# `make image` (deploy/image.sh) builds and smoke-tests this file without a Docker engine, from a
# base it makes itself with debootstrap (--build-arg BASE=localhost/govreport-base:bookworm).
# Running, compose and Kubernetes: docs/deploy.md.
ARG BASE=debian:bookworm-slim

# ---------------------------------------------------------------- build
# Generates the gRPC stubs (server/govreport/v1/ is not in the repository), builds the wheel and
# installs it with its dependencies into the venv /opt/govreport, which the final stage copies.
FROM ${BASE} AS build
SHELL ["/bin/bash", "-o", "pipefail", "-c"]
ARG DEBIAN_FRONTEND=noninteractive
# The base's own Debian packages, as in the final stage (its python3 is the venv's interpreter).
# hadolint ignore=DL3008
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates python3 python3-venv \
 && rm -rf /var/lib/apt/lists/*

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore
# The tools of the build, in their own venv: protoc (grpcio-tools) for the stubs, which setup.py's
# build step generates, and setuptools to build the wheel with.
RUN python3 -m venv /opt/build \
 && /opt/build/bin/pip install --no-cache-dir "grpcio-tools>=1.66" "setuptools>=77"

WORKDIR /src
# The dependencies first, in a layer of their own: a change of the code alone does not download
# them again. grpcio and protobuf are held to the versions whose grpcio-tools makes the stubs.
COPY pyproject.toml ./
RUN /opt/build/bin/pip freeze | grep -E '^(grpcio|protobuf)==' > /tmp/constraints.txt \
 && python3 -c 'import tomllib; print("\n".join(tomllib.load(open("pyproject.toml", "rb"))["project"]["dependencies"]))' \
      > /tmp/requirements.txt \
 && python3 -m venv /opt/govreport \
 && /opt/govreport/bin/pip install --no-cache-dir --constraint /tmp/constraints.txt --requirement /tmp/requirements.txt

COPY README.md LICENSE setup.py ./
COPY proto/ proto/
COPY server/ server/
# The wheel (setup.py generates the stubs into it, with the build venv's grpcio-tools: no build
# isolation, so they match the grpcio the constraints hold), into the venv without pip, which
# the runtime has no use for either.
RUN /opt/build/bin/pip wheel --no-cache-dir --no-build-isolation --no-deps --wheel-dir /wheels . \
 && /opt/govreport/bin/pip install --no-cache-dir --no-deps /wheels/govreport-*.whl \
 && /opt/govreport/bin/pip uninstall --yes pip setuptools \
 && /opt/govreport/bin/python -c "import govreport.server, govreport.v1.service_pb2_grpc, cv2, pypdfium2, lxml.etree"

# ---------------------------------------------------------------- runtime
FROM ${BASE}
SHELL ["/bin/bash", "-o", "pipefail", "-c"]
ARG DEBIAN_FRONTEND=noninteractive
ARG VERSION=0.1.0
LABEL org.opencontainers.image.title="govreport" \
      org.opencontainers.image.description="Chinese government information disclosure annual reports as structured, validated data, over gRPC" \
      org.opencontainers.image.version="${VERSION}"

# What the server needs (Tesseract with chi_sim, see deploy/install-system-deps.sh), Debian's
# python3 for the venv, and tini as PID 1: it forwards SIGTERM to the server and reaps the
# Tesseract processes of a worker that was killed (time limit), which would otherwise stay zombies.
COPY deploy/install-system-deps.sh /tmp/install-system-deps.sh
# hadolint ignore=DL3008
RUN bash /tmp/install-system-deps.sh runtime \
 && apt-get install -y --no-install-recommends python3 tini \
 && rm -rf /var/lib/apt/lists/* /tmp/install-system-deps.sh \
 && useradd --system --uid 10001 --user-group --home-dir /home/govreport --create-home \
      --shell /usr/sbin/nologin govreport \
 && tesseract --list-langs 2>&1 | grep -x chi_sim

COPY --from=build /opt/govreport /opt/govreport

# GOVREPORT_* as in docs/configuration.md; flags and a config file (GOVREPORT_CONFIG) also work,
# but a variable set here beats the config file: set only what differs from the defaults.
# One OpenMP thread per Tesseract: the worker processes (one per CPU) are the parallelism.
ENV PATH=/opt/govreport/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    GOVREPORT_METRICS_PORT=9464 \
    OMP_THREAD_LIMIT=1

USER 10001:10001
WORKDIR /home/govreport
# 50051: gRPC (ReportExtractor, health, reflection); 9464: Prometheus /metrics (HTTP).
EXPOSE 50051 9464
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=15s --timeout=10s --start-period=30s --retries=3 \
  CMD ["govreport", "health", "--server", "127.0.0.1:50051", "--timeout", "5"]
# `docker run IMAGE` serves; `docker run IMAGE extract|health|template ...` runs another command.
ENTRYPOINT ["/usr/bin/tini", "--", "govreport"]
CMD ["serve", "--host", "0.0.0.0"]
