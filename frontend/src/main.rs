//! Entry point: mounts the app into `<body>` (wasm32). Natively there is nothing to run.

#[cfg(target_arch = "wasm32")]
fn main() {
    kato_dashboard_frontend::app::mount();
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    eprintln!(
        "kato-dashboard-frontend is a web app: build it with `./dashboard.sh build` \
         (cargo build --profile wasm-release --target wasm32-unknown-unknown, then wasm-bindgen)"
    );
    std::process::exit(2);
}
