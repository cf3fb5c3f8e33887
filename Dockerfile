# syntax=docker/dockerfile:1
# Multi-stage build of the one `connectauth` binary that runs every service.

FROM rust:1-bookworm AS builder
WORKDIR /src
COPY Cargo.toml Cargo.lock .env.example ./
COPY crates ./crates
COPY migrations ./migrations
RUN cargo build --release --locked -p connectauth

FROM debian:bookworm-slim AS runtime
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home-dir /nonexistent --shell /usr/sbin/nologin connectauth
COPY --from=builder /src/target/release/connectauth /usr/local/bin/connectauth
USER 10001
ENV CONNECTAUTH_ENV=production CONNECTAUTH_LOG_FORMAT=json
ENTRYPOINT ["connectauth"]
