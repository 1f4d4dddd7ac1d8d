# KATO Dashboard: one image serving the web app, the REST API and /ws on port 3000.
#
#   docker build -t kato-dashboard .          (or: ./dashboard.sh build --docker; needs BuildKit)
#
# Stage `build` compiles the server, the simulator and the WASM app with the same script a developer uses
# (`./dashboard.sh build`: release binaries, wasm-bindgen of the exact version in Cargo.lock, brotli/gzip
# precompressed assets). The runtime stage is a distroless glibc base with nothing but the two stripped binaries,
# the app and an empty data folder owned by the image's user; it runs no command at build time, so any base with
# glibc and libgcc works, even one without a shell.
#
# Build arguments:
#   RUST_IMAGE     the build stage's base: Rust on Debian bookworm (cargo on PATH; brotli/gzip are installed by
#                  dashboard.sh when missing; a wasm-bindgen in $KATO_DASHBOARD_TOOLS/bin is used when it has the
#                  version in Cargo.lock, else it is built once into the cache)
#   RUNTIME_IMAGE  the runtime base: any with glibc and libgcc_s (the CA bundle comes with the artifacts)
#   ARTIFACTS      `build` (default) compiles; `prebuilt` takes prebuilt/kato-dashboard, prebuilt/kato-sim and
#                  prebuilt/dist/ from the build context instead, and the build stage is never run.
# Without registry access: tests/deploy/base-images.sh makes both bases from Debian packages (docs/operations.md).

ARG RUST_IMAGE=rust:1-bookworm
ARG RUNTIME_IMAGE=debian:bookworm-slim
ARG ARTIFACTS=build

FROM ${RUST_IMAGE} AS build
# A base may bring its own tools folder (with a matching wasm-bindgen); otherwise the cache holds it.
ENV CARGO_TARGET_DIR=/cache/target \
    KATO_DASHBOARD_TOOLS=${KATO_DASHBOARD_TOOLS:-/cache/tools} \
    CARGO_PROFILE_RELEASE_DEBUG=0 \
    CARGO_PROFILE_RELEASE_STRIP=symbols
WORKDIR /src
COPY . .
# The caches make rebuilds incremental; the results are copied out of them into /out.
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/cache \
    ./dashboard.sh build \
 && mkdir -p /out/dist /out/data /out/certs \
 && cp "$CARGO_TARGET_DIR/release/kato-dashboard" "$CARGO_TARGET_DIR/release/kato-sim" /out/ \
 && cp /etc/ssl/certs/ca-certificates.crt /out/certs/ \
 && cp -r frontend/dist/. /out/dist/

FROM scratch AS prebuilt
COPY prebuilt/ /out/
# An empty folder for the data volume (WORKDIR creates it; scratch has no mkdir).
WORKDIR /out/data

FROM ${ARTIFACTS} AS artifacts

FROM ${RUNTIME_IMAGE}
COPY --from=artifacts /out/kato-dashboard /out/kato-sim /usr/local/bin/
COPY --from=artifacts /out/dist /usr/share/kato-dashboard/dist
COPY --from=artifacts --chown=10001:10001 /out/data /var/lib/kato-dashboard
# The builder's CA bundle, so an https QDRANT_URL or KATO_API_URL works on a base without one.
COPY --from=artifacts /out/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
ENV HOST=0.0.0.0 \
    PORT=3000 \
    STATIC_DIR=/usr/share/kato-dashboard/dist \
    DATA_DIR=/var/lib/kato-dashboard \
    LOG_FORMAT=json
USER 10001:10001
WORKDIR /var/lib/kato-dashboard
VOLUME ["/var/lib/kato-dashboard"]
EXPOSE 3000
# 0 while the dashboard answers /api/v1/health with 2xx (KATO being down is shown in the UI, it is no reason to
# restart the dashboard). The binary checks itself: the image has no curl and needs no shell.
HEALTHCHECK --interval=15s --timeout=3s --start-period=10s --retries=3 \
  CMD ["/usr/local/bin/kato-dashboard", "healthcheck"]
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/local/bin/kato-dashboard"]
