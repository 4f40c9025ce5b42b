# syntax=docker/dockerfile:1
#
# One image for the whole apiarist stack: every service binary, built in release, in
# a small Debian image that runs as an unprivileged user. docker-compose.yml starts
# each container with the binary it needs (`command: ["users"]`, ...).
#
#   docker build -t apiarist .
#   docker run --rm -p 8000:8000 -e HOST=0.0.0.0 apiarist gateway
#
# Dependencies are compiled in a layer of their own (cargo-chef): that layer is
# rebuilt only when a Cargo.toml or Cargo.lock changes, not on every source edit.

ARG RUST_VERSION=1.95
ARG DEBIAN_RELEASE=trixie

# ---- toolchain + cargo-chef -------------------------------------------------------
FROM rust:${RUST_VERSION}-slim-${DEBIAN_RELEASE} AS chef
RUN cargo install cargo-chef --locked --version 0.1.78
WORKDIR /src

# ---- the dependency recipe: the manifests and the lockfile, nothing else ----------
FROM chef AS planner
COPY . .
RUN cargo chef prepare --recipe-path recipe.json

# ---- build ------------------------------------------------------------------------
FROM chef AS builder
# The service binaries the image carries (each is a workspace package whose binary has
# the package's name). `apiarist new service <name>` appends to this list.
ARG SERVICES="users items orders worker gateway"
COPY --from=planner /src/recipe.json recipe.json
# Dependencies only: cached until the recipe changes.
RUN cargo chef cook --release --locked --recipe-path recipe.json --features apiarist/otel \
        -p apiarist-cli $(for s in $SERVICES; do printf ' -p %s' "$s"; done)
COPY . .
# The services, and the `apiarist` tool whose `probe` command is the containers'
# healthcheck (the runtime image has no curl). With the framework's `otel` feature the
# services export traces when OTEL_EXPORTER_OTLP_ENDPOINT is set (see the compose file).
RUN cargo build --release --locked --features apiarist/otel \
        -p apiarist-cli $(for s in $SERVICES; do printf ' -p %s' "$s"; done) \
    && mkdir -p /out \
    && for bin in apiarist $SERVICES; do install -m 0755 "target/release/$bin" /out/; done

# ---- runtime ----------------------------------------------------------------------
FROM debian:${DEBIAN_RELEASE}-slim AS runtime
# /data/items-media belongs to the service user, so the named volume compose mounts
# there is writable.
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --user-group --home-dir /data --create-home \
        --shell /usr/sbin/nologin apiarist \
    && install -d -o apiarist -g apiarist /data/items-media
COPY --from=builder /out/ /usr/local/bin/
# The items service's static files (ITEMS_STATIC_DIR in docker-compose.yml).
COPY services/items/static/ /usr/local/share/apiarist/items-static/
USER apiarist:apiarist
# Without DATABASE_URL a service keeps its SQLite file here, in the user's own directory.
WORKDIR /data
ENV HOST=0.0.0.0 \
    LOG_FORMAT=json
EXPOSE 8000
CMD ["gateway"]
