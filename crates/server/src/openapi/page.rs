//! The `/docs` page: a self-contained API explorer (inline CSS and script, no CDN) that reads `/openapi.json`,
//! lists the operations by tag and sends requests with the admin token the web app stores.

/// The page.
pub const DOCS_HTML: &str = include_str!("docs.html");
