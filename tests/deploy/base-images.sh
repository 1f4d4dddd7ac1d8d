#!/usr/bin/env bash
# Base images for the Dockerfile, made locally from Debian packages (no image registry needed).
#
#   tests/deploy/base-images.sh [build] [runtime] [rust]     make the rootfs tarballs (cached), import nothing
#   tests/deploy/base-images.sh import [runtime] [rust]       make them if needed, then `docker import` them into
#                                                             the engine at $DOCKER_HOST (the CLI's default without)
#
# With no image name, both. The images, for `docker build --build-arg RUNTIME_IMAGE=… --build-arg RUST_IMAGE=…`:
#
#   kato-dashboard-base/runtime:bookworm   what the two stripped binaries need and nothing else: Debian's libc6
#                                          and libgcc-s1 unpacked (no dpkg, no shell, no docs, no gconv), the CA
#                                          bundle (tonic, the Qdrant gRPC client, reads the system roots for an
#                                          https QDRANT_URL; reqwest and the MongoDB driver carry webpki roots),
#                                          /etc/passwd with the image's user 10001, /tmp. ≈ 3.5 MB.
#   kato-dashboard-base/rust:bookworm      Debian bookworm (minbase) with build-essential, pkg-config, brotli, gzip,
#                                          ca-certificates and this machine's CA bundle (cargo reaches the Rust package registry
#                                          through whatever this machine trusts); this machine's Rust toolchain
#                                          (`rustc --print sysroot`, with the x86_64 and wasm32-unknown-unknown std
#                                          and rust-lld; no docs, clippy or rustfmt) in /usr/local/rust; and the
#                                          wasm-bindgen of the version in Cargo.lock in
#                                          $KATO_DASHBOARD_TOOLS=/opt/kato-dashboard/tools, where `./dashboard.sh
#                                          build` looks for it. ≈ 1 GB.
#
# The rootfs tarballs live in ~/.cache/kato-dashboard/images (KATO_DASHBOARD_CACHE overrides the parent), named by
# a hash of everything that went into them (the recipe below, the Debian suite and mirrors, the CA bundle, the Rust
# toolchain's version and manifests, wasm-bindgen's bytes): only the first run pays for mmdebstrap (≈1–3 min, from
# the Debian mirror); an import into a fresh engine takes seconds, and is skipped when the engine already has the
# image with the same key (label org.kato-dashboard.base-key). Remove the folder to rebuild from today's mirror.
#
# Needs root (mmdebstrap in root mode), mmdebstrap (installed with apt-get when missing), and for the builder the
# wasm-bindgen that `./dashboard.sh build-web` installs (KATO_DASHBOARD_TOOLS, default ~/.cache/kato-dashboard/tools).
# Env: DEBIAN_MIRROR and DEBIAN_SECURITY_MIRROR (default: the ones this machine's apt uses), DOCKER_HOST, DOCKER (the CLI).
set -euo pipefail

SELF="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/$(basename "${BASH_SOURCE[0]}")"
ROOT="$(cd "$(dirname "$SELF")/../.." && pwd)"
CACHE="${KATO_DASHBOARD_CACHE:-$HOME/.cache/kato-dashboard}/images"
TOOLS="${KATO_DASHBOARD_TOOLS:-$HOME/.cache/kato-dashboard/tools}"
DOCKER="${DOCKER:-docker}"
SUITE=bookworm
# The mirrors this machine's apt already uses (deb822 .sources files, else sources.list), unless set.
apt_uri() { # apt_uri SUITE-SUFFIX — the URI apt uses for $SUITE$1
  local want="$SUITE$1" f
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] || continue
    awk -v want="$want" 'BEGIN{RS=""} { uri=""; ok=0; n=split($0, l, "\n");
      for (i=1;i<=n;i++) { if (l[i] ~ /^URIs:/) { split(l[i], u, " "); uri=u[2] }
        if (l[i] ~ /^Suites:/) { m=split(l[i], s, " "); for (j=2;j<=m;j++) if (s[j]==want) ok=1 } }
      if (ok && uri != "") { print uri; exit } }' "$f"
  done | head -n1
  if [ -f /etc/apt/sources.list ]; then
    awk -v want="$want" '$1=="deb" && $3==want {print $2; exit}' /etc/apt/sources.list
  fi
  return 0
}
MIRROR="${DEBIAN_MIRROR:-$(apt_uri "" | head -n1)}"
SECURITY_MIRROR="${DEBIAN_SECURITY_MIRROR:-$(apt_uri -security | head -n1)}"
[ -n "$MIRROR" ] || { echo "no Debian mirror for $SUITE in this machine's apt sources: set DEBIAN_MIRROR" >&2; exit 1; }
[ -n "$SECURITY_MIRROR" ] || SECURITY_MIRROR="$MIRROR-security"
MIRRORS=("deb $MIRROR $SUITE main" "deb $MIRROR $SUITE-updates main" "deb $SECURITY_MIRROR $SUITE-security main")
RUNTIME_TAG=kato-dashboard-base/runtime:bookworm
RUST_TAG=kato-dashboard-base/rust:bookworm
KEY_LABEL=org.kato-dashboard.base-key
# The image's user (the Dockerfile's USER 10001:10001).
APP_UID=10001

say() { printf '\033[1;34m==>\033[0m %s\n' "$*" >&2; }
die() { printf '\033[1;31merror:\033[0m %s\n' "$*" >&2; exit 1; }

ensure_mmdebstrap() {
  command -v mmdebstrap >/dev/null && return 0
  [ "$(id -u)" = 0 ] || die "mmdebstrap is missing and installing it needs root: apt-get install mmdebstrap"
  say "installing mmdebstrap (Debian)"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends mmdebstrap >/dev/null
}

# --- runtime: libc6 + libgcc-s1, unpacked ----------------------------------------------------------------------
RUNTIME_PACKAGES=libc6,libgcc-s1

runtime_inputs() {
  declare -f make_runtime customize_runtime
  printf '%s\n' "$SUITE" "${MIRRORS[@]}" "$RUNTIME_PACKAGES" "$APP_UID"
  sha256sum /etc/ssl/certs/ca-certificates.crt | cut -d' ' -f1
}

make_runtime() {
  # extract: the packages are only unpacked (no maintainer scripts, no dpkg, no shell in the result).
  mmdebstrap --quiet --mode=root --format=directory --variant=extract --include="$RUNTIME_PACKAGES" \
    "$SUITE" "$1" "${MIRRORS[@]}"
  customize_runtime "$1"
}

# customize_runtime ROOTFS — everything but what a dynamically linked Rust binary needs goes; users, CA roots, /tmp.
customize_runtime() {
  local r="$1"
  [ -n "$r" ] && [ "$r" != / ] || die "customize_runtime: bad rootfs '$r'"
  rm -rf "$r"/usr/share/doc "$r"/usr/share/man "$r"/usr/share/info "$r"/usr/share/locale "$r"/usr/share/lintian \
    "$r"/usr/share/gcc "$r"/usr/lib/x86_64-linux-gnu/gconv "$r"/usr/lib/x86_64-linux-gnu/audit \
    "$r"/lib/x86_64-linux-gnu/gconv "$r"/lib/x86_64-linux-gnu/audit "$r"/usr/libexec "$r"/var/lib/dpkg \
    "$r"/var/lib/apt "$r"/var/cache/apt "$r"/var/cache/ldconfig "$r"/var/log "$r"/etc/apt "$r"/etc/dpkg \
    "$r"/etc/ld.so.conf.d "$r"/etc/fstab "$r"/etc/hostname "$r"/etc/resolv.conf "$r"/dev/*
  # The binaries need libc, libm, libgcc_s and the loader (`objdump -p … | grep NEEDED`); nsswitch.conf names only
  # files and dns (built into libc since glibc 2.34). Debugging and profiling preloads, the vector math library,
  # NIS and Hesiod go.
  local lib
  for lib in libmemusage.so libpcprofile.so libc_malloc_debug.so.0 libthread_db.so.1 libBrokenLocale.so.1 \
      libmvec.so.1 libnsl.so.1 libnss_hesiod.so.2 libnss_compat.so.2; do
    rm -f "$r"/lib/x86_64-linux-gnu/"$lib" "$r"/usr/lib/x86_64-linux-gnu/"$lib"
  done
  # The loader's default path covers the multiarch folders; no ld.so.cache (nothing runs ldconfig here).
  mkdir -p "$r"/etc/ssl/certs "$r"/tmp "$r"/usr/local/bin
  chmod 1777 "$r"/tmp
  cp /etc/ssl/certs/ca-certificates.crt "$r"/etc/ssl/certs/ca-certificates.crt
  printf 'root:x:0:0:root:/root:/sbin/nologin\nkato-dashboard:x:%s:%s::/var/lib/kato-dashboard:/sbin/nologin\n' \
    "$APP_UID" "$APP_UID" >"$r"/etc/passwd
  printf 'root:x:0:\nkato-dashboard:x:%s:\n' "$APP_UID" >"$r"/etc/group
  printf 'passwd: files\ngroup: files\nhosts: files dns\n' >"$r"/etc/nsswitch.conf
}

# --- builder: bookworm + build tools + this machine's Rust toolchain + wasm-bindgen ------------------------------
RUST_PACKAGES=build-essential,pkg-config,brotli,gzip,ca-certificates

sysroot() { rustc --print sysroot; }

# wasm_bindgen — the host's wasm-bindgen, checked against the version in Cargo.lock.
wasm_bindgen() {
  local want have wb="$TOOLS/bin/wasm-bindgen"
  want="$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/"/, "", $3); print $3; exit }' "$ROOT/Cargo.lock")"
  [ -x "$wb" ] || die "no wasm-bindgen at $wb: run ./dashboard.sh build-web (it installs wasm-bindgen $want there)"
  have="$("$wb" --version | awk '{print $2}')"
  [ "$have" = "$want" ] || die "$wb is version $have, Cargo.lock wants $want: run ./dashboard.sh build-web"
  echo "$wb"
}

rust_inputs() {
  declare -f make_rust customize_rust
  printf '%s\n' "$SUITE" "${MIRRORS[@]}" "$RUST_PACKAGES"
  rustc -vV
  cargo -V
  local s; s="$(sysroot)"
  ls "$s/lib/rustlib"
  cat "$s"/lib/rustlib/manifest-* | sha256sum
  sha256sum /etc/ssl/certs/ca-certificates.crt | cut -d' ' -f1
  sha256sum "$(wasm_bindgen)" | cut -d' ' -f1
}

make_rust() {
  wasm_bindgen >/dev/null
  mmdebstrap --quiet --mode=root --format=directory --variant=minbase --include="$RUST_PACKAGES" \
    --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-exclude=/usr/share/man/*' \
    --dpkgopt='path-exclude=/usr/share/info/*' --dpkgopt='path-exclude=/usr/share/locale/*' \
    "$SUITE" "$1" "${MIRRORS[@]}"
  customize_rust "$1"
}

# customize_rust ROOTFS — the toolchain into /usr/local/rust (rustc finds its std relative to its own path) and
# wasm-bindgen into /opt/kato-dashboard/tools/bin.
customize_rust() {
  local r="$1" s
  [ -n "$r" ] && [ "$r" != / ] || die "customize_rust: bad rootfs '$r'"
  s="$(sysroot)"
  mkdir -p "$r"/usr/local/rust "$r"/usr/local/cargo/bin "$r"/opt/kato-dashboard/tools/bin
  tar -C "$s" -cf - --exclude=./share --exclude=./libexec --exclude=./bin/cargo-clippy \
    --exclude=./bin/clippy-driver --exclude=./bin/cargo-fmt --exclude=./bin/rustfmt --exclude='./bin/rust-gdb*' \
    --exclude=./bin/rust-lldb --exclude=./bin/rustdoc . | tar -C "$r"/usr/local/rust -xf -
  cp "$(wasm_bindgen)" "$r"/opt/kato-dashboard/tools/bin/wasm-bindgen
  # This machine's trust store, as for the host's own cargo (a TLS-inspecting proxy's CA, say).
  cp /etc/ssl/certs/ca-certificates.crt "$r"/etc/ssl/certs/ca-certificates.crt
  rm -rf "$r"/var/lib/apt/lists/* "$r"/var/cache/apt/*.bin
}

# --- cache and import ----------------------------------------------------------------------------------------------
key_of() { "${1}_inputs" | sha256sum | cut -c1-20; }

# tarball KIND — prints the cached rootfs tarball of KIND (runtime|rust), making it first when missing.
tarball() {
  local kind="$1" key out
  key="$(key_of "$kind")"
  out="$CACHE/$kind-$key.tar"
  mkdir -p "$CACHE"
  # One maker at a time (parallel tests call this too); the second finds the first one's result.
  exec 9>"$CACHE/.lock-$kind"
  flock 9
  if [ ! -s "$out" ]; then
    ensure_mmdebstrap
    local start=$SECONDS
    say "making the $kind base rootfs (mmdebstrap, $SUITE; once per key $key)"
    local tmp="$CACHE/.$kind-$key.tmp"
    rm -rf "$tmp" "$tmp.tar"
    "make_$kind" "$tmp"
    tar --numeric-owner -C "$tmp" -cf "$tmp.tar" .
    rm -rf "$tmp"
    "${kind}_inputs" >"$CACHE/$kind-$key.inputs"
    mv "$tmp.tar" "$out"
    # Older tarballs of the same kind are stale.
    find "$CACHE" -maxdepth 1 -name "$kind-*" ! -name "$kind-$key.*" -delete
    say "$kind rootfs: $(du -h "$out" | cut -f1) in $((SECONDS - start)) s → $out"
  fi
  exec 9>&-
  echo "$out"
}

import() {
  local kind="$1" tag key tar have
  case "$kind" in
    runtime) tag="$RUNTIME_TAG" ;;
    rust) tag="$RUST_TAG" ;;
    *) die "unknown image '$kind' (runtime or rust)" ;;
  esac
  tar="$(tarball "$kind")"
  key="$(basename "$tar" .tar)"; key="${key#"$kind"-}"
  have="$("$DOCKER" image inspect -f "{{ index .Config.Labels \"$KEY_LABEL\" }}" "$tag" 2>/dev/null || true)"
  if [ "$have" = "$key" ]; then
    say "$tag is up to date in ${DOCKER_HOST:-the default engine}"
    return 0
  fi
  local start=$SECONDS
  local changes=(--change "LABEL $KEY_LABEL=$key")
  if [ "$kind" = rust ]; then
    changes+=(--change 'ENV PATH=/usr/local/cargo/bin:/usr/local/rust/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'
      --change 'ENV CARGO_HOME=/usr/local/cargo' --change 'ENV KATO_DASHBOARD_TOOLS=/opt/kato-dashboard/tools'
      --change 'ENV LANG=C.UTF-8' --change 'WORKDIR /src')
  else
    changes+=(--change 'ENV PATH=/usr/local/bin:/usr/bin:/bin')
  fi
  "$DOCKER" import "${changes[@]}" "$tar" "$tag" >/dev/null
  say "imported $tag into ${DOCKER_HOST:-the default engine} in $((SECONDS - start)) s"
}

main() {
  local mode=build kinds=()
  for a in "$@"; do
    case "$a" in
      build|import) mode="$a" ;;
      runtime|rust) kinds+=("$a") ;;
      -h|--help) sed -n '2,/^set -euo/p' "$SELF" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
      *) die "unknown argument '$a' (see --help)" ;;
    esac
  done
  [ "${#kinds[@]}" -gt 0 ] || kinds=(runtime rust)
  for kind in "${kinds[@]}"; do
    if [ "$mode" = import ]; then import "$kind"; else tarball "$kind" >/dev/null; fi
  done
}

main "$@"
