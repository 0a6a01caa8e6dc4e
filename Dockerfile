# syntax=docker/dockerfile:1
# Moodle Bridge as a container image: the service alone (built without the demo's Moodle
# stand-in), plain HTTP on port 8080 for a TLS proxy in front, running as an unprivileged user.
#   docker build --build-arg MOODLE_BRIDGE_COMMIT=$(git rev-parse --short=12 HEAD) -t moodle-bridge .
#   docker run --env-file .env -p 127.0.0.1:8080:8080 moodle-bridge
# compose.yaml runs two of these with PostgreSQL, MinIO and Caddy (README, "Install").
# Not built in this project's CI (no image registry is reachable there); scripts/check-container
# checks that the build command below is scripts/package's.

ARG RUST_VERSION=1.95
ARG DEBIAN_RELEASE=bookworm

FROM rust:${RUST_VERSION}-${DEBIAN_RELEASE} AS build
# The commit `moodle-bridge --version` prints (.git is not sent to the build).
ARG MOODLE_BRIDGE_COMMIT=
WORKDIR /src
COPY . .
RUN cargo build --locked --profile release -p bridge --bin moodle-bridge --no-default-features \
 && install -D -m 0755 target/release/moodle-bridge /out/moodle-bridge \
 && strip --strip-debug /out/moodle-bridge \
 && /out/moodle-bridge --version

# The runtime: the same Debian release as the build stage (the binary's glibc).
FROM debian:${DEBIAN_RELEASE}-slim
# ca-certificates: HTTPS to Moodle, S3 and identity providers; curl: the health check.
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates curl \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --user-group --home-dir /var/lib/moodle-bridge \
      --shell /usr/sbin/nologin moodle-bridge \
 && install -d -o moodle-bridge -g moodle-bridge -m 0750 /var/lib/moodle-bridge
COPY --from=build /out/moodle-bridge /usr/local/bin/moodle-bridge
COPY LICENSE-MIT LICENSE-APACHE CHANGELOG.md /usr/share/doc/moodle-bridge/

# The settings come from the environment (`docker run --env-file`, compose's env_file); these
# are the image's defaults. DATA_DIR holds the SQLite database and local files when
# DATABASE_URL / STORAGE_URL do not point elsewhere: mount a volume there.
ENV BIND=0.0.0.0:8080 \
    DATA_DIR=/var/lib/moodle-bridge \
    LOG_FORMAT=json
WORKDIR /var/lib/moodle-bridge
VOLUME /var/lib/moodle-bridge
USER moodle-bridge:moodle-bridge
EXPOSE 8080
# /health answers 200 while the process serves; /ready also checks the database and Moodle.
# With TLS_CERT_FILE set in the container, change this to https:// (curl -k).
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD curl -fsS -o /dev/null http://127.0.0.1:8080/health || exit 1
ENTRYPOINT ["moodle-bridge"]
CMD ["serve"]
