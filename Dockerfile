# syntax=docker/dockerfile:1
# Multi-stage build of the one `connectauth` binary that runs every service.
#
# The dependencies are compiled in a layer of their own (cargo-chef: a recipe
# made of the manifests and Cargo.lock alone), so a change to the sources
# rebuilds only the workspace's crates; the layer is rebuilt when a manifest
# or Cargo.lock changes. The crate registry and git checkouts are BuildKit
# cache mounts, kept between builds on the same builder. The target directory
# is deliberately not one: a cache mount is never exported with the layers
# (`--cache-to`), so on a fresh builder (CI) the compiled dependencies would
# be lost; in the layer they travel with the image cache.

ARG RUST_IMAGE=rust:1-bookworm

FROM ${RUST_IMAGE} AS chef
RUN --mount=type=cache,id=connectauth-cargo-registry,target=/usr/local/cargo/registry,sharing=locked \
    cargo install cargo-chef --locked --version 0.1.78
WORKDIR /src

# The recipe: every manifest and the lock file, with the sources left out, so
# it changes only when the dependencies do.
FROM chef AS planner
COPY Cargo.toml Cargo.lock ./
COPY crates ./crates
RUN cargo chef prepare --recipe-path recipe.json

FROM chef AS builder
# The dependency layer, before any source of the workspace is copied.
COPY --from=planner /src/recipe.json recipe.json
RUN --mount=type=cache,id=connectauth-cargo-registry,target=/usr/local/cargo/registry,sharing=locked \
    --mount=type=cache,id=connectauth-cargo-git,target=/usr/local/cargo/git,sharing=locked \
    cargo chef cook --release --locked --package connectauth --recipe-path recipe.json
# The workspace itself; .env.example and the migrations are compiled in.
COPY Cargo.toml Cargo.lock .env.example ./
COPY crates ./crates
COPY migrations ./migrations
RUN --mount=type=cache,id=connectauth-cargo-registry,target=/usr/local/cargo/registry,sharing=locked \
    --mount=type=cache,id=connectauth-cargo-git,target=/usr/local/cargo/git,sharing=locked \
    cargo build --release --locked -p connectauth

FROM debian:bookworm-slim AS runtime
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home-dir /nonexistent --shell /usr/sbin/nologin connectauth
COPY --from=builder /src/target/release/connectauth /usr/local/bin/connectauth
USER 10001
ENV CONNECTAUTH_ENV=production CONNECTAUTH_LOG_FORMAT=json
ENTRYPOINT ["connectauth"]
