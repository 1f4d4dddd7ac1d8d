//! The built web app (Leptos, `frontend/dist`): static files with precompressed variants, the SPA fallback to
//! `index.html` for deep links, and cache headers.
//!
//! Where the files are: `STATIC_DIR` when set, else a `dist` folder next to the binary, else `frontend/dist` in the
//! working directory; looked up per request, so building the web app while the server runs needs no restart.
//! Without a build, pages answer 503 with an explanation while the API and `/ws` keep working. Paths under `/api`
//! and `/ws` never fall back to the app: unknown API paths stay JSON 404s.

use std::path::{Path, PathBuf};

use axum::{
    body::Body,
    extract::State,
    http::{HeaderValue, Method, Request, StatusCode, header},
    response::{IntoResponse, Response},
};
use tower::ServiceExt;
use tower_http::services::{ServeDir, ServeFile};

use crate::{config::Config, error::ApiError, state::AppState};

/// `Cache-Control` of content-addressed files (their name changes with their content).
const IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// `Cache-Control` of everything else (`index.html` above all): revalidate every time.
const REVALIDATE: &str = "no-cache";

/// Folders that may hold the web app, in order of preference.
pub fn candidates(config: &Config) -> Vec<PathBuf> {
    if let Some(dir) = config
        .server
        .static_dir
        .as_ref()
        .filter(|d| !d.as_os_str().is_empty())
    {
        return vec![dir.clone()];
    }
    let mut dirs = Vec::new();
    if let Some(exe_dir) = std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(Path::to_path_buf))
    {
        dirs.push(exe_dir.join("dist"));
    }
    dirs.push(PathBuf::from("frontend/dist"));
    dirs
}

/// The router's fallback: every path no route matched.
pub async fn serve(State(state): State<AppState>, req: Request<Body>) -> Response {
    serve_from(&candidates(&state.config), req).await
}

/// Serves `req` from the first of `dirs` that holds an `index.html`.
pub async fn serve_from(dirs: &[PathBuf], req: Request<Body>) -> Response {
    let path = req.uri().path().to_owned();
    if is_reserved(&path) {
        return ApiError::NotFound(format!("no endpoint {} {path}", req.method())).into_response();
    }
    if req.method() != Method::GET && req.method() != Method::HEAD {
        return (
            StatusCode::METHOD_NOT_ALLOWED,
            [(header::ALLOW, "GET, HEAD")],
            "the web app only answers GET and HEAD",
        )
            .into_response();
    }
    let Some(dir) = dirs.iter().find(|d| d.join("index.html").is_file()) else {
        return not_built(dirs);
    };
    let index = ServeFile::new(dir.join("index.html"))
        .precompressed_br()
        .precompressed_gzip();
    let files = ServeDir::new(dir).precompressed_br().precompressed_gzip();
    let spa = wants_app(&req);
    let result = if spa {
        files.fallback(index).oneshot(req).await
    } else {
        files.oneshot(req).await
    };
    let mut response = match result {
        Ok(r) => r.map(Body::new),
        Err(never) => match never {},
    };
    let cache = if response.status().is_success() && is_hashed(&path) {
        IMMUTABLE
    } else {
        REVALIDATE
    };
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    // The body depends on Accept-Encoding (precompressed variants): caches must key on it.
    headers.append(header::VARY, HeaderValue::from_static("accept-encoding"));
    response
}

/// `/api…` and `/ws…` belong to the server, never to the app.
fn is_reserved(path: &str) -> bool {
    ["/api", "/ws"]
        .iter()
        .any(|p| path == *p || path.starts_with(&format!("{p}/")))
}

/// Deep links (`/sessions/abc`) get `index.html`; a missing file (`/assets/old.js`) gets a 404, not HTML.
fn wants_app(req: &Request<Body>) -> bool {
    let last = req.uri().path().rsplit('/').next().unwrap_or("");
    let html = req
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("text/html"));
    !last.contains('.') || html
}

/// Whether a file name carries a content hash (`kato-2a45899d61724f75.wasm`): 16+ hex digits after a `-`.
fn is_hashed(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or("");
    let stem = name.split('.').next().unwrap_or("");
    stem.rsplit_once('-')
        .is_some_and(|(_, hash)| hash.len() >= 16 && hash.bytes().all(|b| b.is_ascii_hexdigit()))
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

fn not_built(dirs: &[PathBuf]) -> Response {
    let searched: String = dirs
        .iter()
        .map(|d| {
            let shown = std::path::absolute(d).unwrap_or_else(|_| d.clone());
            format!(
                "<li><code>{}</code></li>",
                escape(&shown.display().to_string())
            )
        })
        .collect();
    let body = format!(
        r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>KATO Dashboard: web app not built</title>
<style>body{{font:15px/1.5 system-ui,sans-serif;background:#0a0f1c;color:#e5eaf3;max-width:46rem;margin:10vh auto;padding:0 1.5rem}}
code{{background:#172137;padding:.1rem .35rem;border-radius:.3rem}}h1{{font-size:1.4rem}}a{{color:#5b93ff}}</style></head>
<body><h1>The web app is not built</h1>
<p>The KATO Dashboard server is running: the REST API answers under <a href="/api/v1/health"><code>/api/v1</code></a> and
live updates flow on <code>/ws</code>. But no built web app (<code>index.html</code>) was found in:</p><ul>{searched}</ul>
<p>Build it with <code>./dashboard.sh build</code> (it runs <code>cargo build --profile wasm-release --target
wasm32-unknown-unknown -p kato-dashboard-frontend</code>, then <code>wasm-bindgen --target web</code>, into
<code>frontend/dist</code>), or set <code>STATIC_DIR</code> to the folder that holds <code>index.html</code>.
Reload this page afterwards; the server does not need a restart.</p></body></html>"#
    );
    (
        StatusCode::SERVICE_UNAVAILABLE,
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        body,
    )
        .into_response()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn dist() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        let assets = dir.path().join("assets");
        std::fs::create_dir(&assets).unwrap();
        std::fs::write(dir.path().join("index.html"), "<!doctype html><p>app</p>").unwrap();
        std::fs::write(dir.path().join("index.html.br"), b"\x0b\x02\x80app").unwrap();
        std::fs::write(assets.join("kato-0123456789abcdef.wasm"), b"\0asm").unwrap();
        std::fs::write(assets.join("kato-0123456789abcdef.wasm.br"), b"br-bytes").unwrap();
        std::fs::write(dir.path().join("favicon.svg"), "<svg/>").unwrap();
        dir
    }

    fn get(path: &str, headers: &[(&str, &str)]) -> Request<Body> {
        let mut b = Request::get(path);
        for (k, v) in headers {
            b = b.header(*k, *v);
        }
        b.body(Body::empty()).unwrap()
    }

    async fn body(r: Response) -> String {
        let bytes = axum::body::to_bytes(r.into_body(), 1 << 20).await.unwrap();
        String::from_utf8_lossy(&bytes).into_owned()
    }

    fn header_of(r: &Response, name: header::HeaderName) -> &str {
        r.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }

    #[tokio::test]
    async fn index_deep_links_and_hashed_assets_get_the_right_cache_headers() {
        let d = dist();
        let dirs = [d.path().to_path_buf()];
        let root = serve_from(&dirs, get("/", &[])).await;
        assert_eq!(root.status(), StatusCode::OK);
        assert_eq!(header_of(&root, header::CACHE_CONTROL), REVALIDATE);
        assert!(body(root).await.contains("app"));
        let deep = serve_from(&dirs, get("/sessions/session-abc-1", &[])).await;
        assert_eq!(deep.status(), StatusCode::OK, "deep links get the app");
        assert_eq!(header_of(&deep, header::CACHE_CONTROL), REVALIDATE);
        assert!(header_of(&deep, header::CONTENT_TYPE).starts_with("text/html"));
        let wasm = serve_from(
            &dirs,
            get(
                "/assets/kato-0123456789abcdef.wasm",
                &[("accept-encoding", "gzip, br")],
            ),
        )
        .await;
        assert_eq!(wasm.status(), StatusCode::OK);
        assert_eq!(header_of(&wasm, header::CACHE_CONTROL), IMMUTABLE);
        assert_eq!(
            header_of(&wasm, header::CONTENT_ENCODING),
            "br",
            "precompressed"
        );
        assert_eq!(header_of(&wasm, header::CONTENT_TYPE), "application/wasm");
        assert_eq!(body(wasm).await, "br-bytes");
        let icon = serve_from(&dirs, get("/favicon.svg", &[])).await;
        assert_eq!(
            header_of(&icon, header::CACHE_CONTROL),
            REVALIDATE,
            "not hashed"
        );
    }

    #[tokio::test]
    async fn missing_files_api_and_ws_paths_never_get_the_app() {
        let d = dist();
        let dirs = [d.path().to_path_buf()];
        let old = serve_from(&dirs, get("/assets/kato-ffffffffffffffff.js", &[])).await;
        assert_eq!(
            old.status(),
            StatusCode::NOT_FOUND,
            "a stale asset is a 404, not HTML"
        );
        for path in ["/api", "/api/v2/x", "/ws", "/ws/x"] {
            let r = serve_from(&dirs, get(path, &[("accept", "text/html")])).await;
            assert_eq!(r.status(), StatusCode::NOT_FOUND, "{path}");
            assert!(
                header_of(&r, header::CONTENT_TYPE).contains("json"),
                "{path}"
            );
        }
        let post = Request::post("/").body(Body::empty()).unwrap();
        assert_eq!(
            serve_from(&dirs, post).await.status(),
            StatusCode::METHOD_NOT_ALLOWED
        );
    }

    #[tokio::test]
    async fn without_a_build_pages_explain_how_to_build_it() {
        let empty = tempfile::tempdir().unwrap();
        let dirs = [empty.path().join("dist")];
        let r = serve_from(&dirs, get("/", &[])).await;
        assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
        let text = body(r).await;
        assert!(
            text.contains("./dashboard.sh build") && text.contains("STATIC_DIR"),
            "{text}"
        );
        assert!(text.contains(&empty.path().join("dist").display().to_string()));
    }

    #[test]
    fn hashed_names_and_candidates() {
        assert!(is_hashed("/assets/kato-2a45899d61724f75.wasm"));
        assert!(is_hashed("/assets/style-a0ee4f37b86cd527.css"));
        assert!(!is_hashed("/favicon.svg"));
        assert!(!is_hashed("/assets/kato-12ab.js"));
        assert!(!is_hashed("/index.html"));
        let mut config = Config::default();
        config.server.static_dir = Some(PathBuf::from("/srv/app"));
        assert_eq!(candidates(&config), vec![PathBuf::from("/srv/app")]);
        let dirs = candidates(&Config::default());
        assert_eq!(dirs.last(), Some(&PathBuf::from("frontend/dist")));
        assert!(dirs.len() == 2 && dirs[0].ends_with("dist"));
    }
}
