# syntax=docker/dockerfile:1
# KATO Dashboard: one image serving the web app, the REST API and /ws on port 3000.
#
#   docker build -t kato-dashboard .          (or: ./dashboard.sh build --docker)
#
# Stage 1 builds the server, the simulator and the WASM app with the same script a developer uses
# (`./dashboard.sh build`: release binaries, wasm-bindgen of the exact version in Cargo.lock, brotli/gzip
# precompressed assets). Stage 2 is a slim Debian with a non-root user and nothing but the two binaries, the app
# and CA certificates.

ARG RUST_IMAGE=rust:1-bookworm
ARG RUNTIME_IMAGE=debian:bookworm-slim

FROM ${RUST_IMAGE} AS build
ENV CARGO_TARGET_DIR=/cache/target \
    KATO_DASHBOARD_TOOLS=/cache/tools \
    CARGO_PROFILE_RELEASE_DEBUG=0
WORKDIR /src
COPY . .
# The caches make rebuilds incremental; the results are copied out of them into /out.
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/cache \
    ./dashboard.sh build \
 && mkdir -p /out/dist \
 && cp "$CARGO_TARGET_DIR/release/kato-dashboard" "$CARGO_TARGET_DIR/release/kato-sim" /out/ \
 && cp -r frontend/dist/. /out/dist/

FROM ${RUNTIME_IMAGE}
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates curl \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --user-group --home-dir /var/lib/kato-dashboard --create-home kato-dashboard
COPY --from=build /out/kato-dashboard /out/kato-sim /usr/local/bin/
COPY --from=build /out/dist /usr/share/kato-dashboard/dist
ENV HOST=0.0.0.0 \
    PORT=3000 \
    STATIC_DIR=/usr/share/kato-dashboard/dist \
    DATA_DIR=/var/lib/kato-dashboard \
    LOG_FORMAT=json
USER kato-dashboard
WORKDIR /var/lib/kato-dashboard
VOLUME ["/var/lib/kato-dashboard"]
EXPOSE 3000
# 200 while the dashboard serves (KATO being down is shown in the UI, it is no reason to restart the dashboard).
HEALTHCHECK --interval=15s --timeout=3s --start-period=10s --retries=3 \
  CMD curl -fsS -o /dev/null "http://127.0.0.1:${PORT}/api/v1/health" || exit 1
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/local/bin/kato-dashboard"]
