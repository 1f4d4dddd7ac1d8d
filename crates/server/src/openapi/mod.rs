//! OpenAPI 3.1 description of every HTTP endpoint, served at `/openapi.json`, and the interactive explorer at
//! `/docs` (a self-contained page: no CDN, works offline beside KATO).
//!
//! The document is derived with `utoipa`: every handler in `crate::routes` carries `#[utoipa::path]` (its doc
//! comment gives the summary and description; its query and body types derive `IntoParams` and `ToSchema`), and
//! the router registers handlers through `utoipa_axum`'s `OpenApiRouter`, so a route cannot exist without its
//! operation. This module holds what the operations share: the head of the document ([`ApiDoc`]: info, tags,
//! security schemes, the error shape), the [`UpstreamErrors`] an operation that calls an upstream declares, and
//! [`finish`], the rules every operation follows. It depends on nothing else of the server.

mod page;

use utoipa::{
    IntoResponses, Modify, OpenApi, ToSchema,
    openapi::{
        ContentBuilder, ObjectBuilder, OpenApi as Document, Ref, RefOr, ResponseBuilder,
        path::{Operation, ParameterIn, PathItem},
        response::Response,
        schema::SchemaType,
        security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme},
    },
};

pub use page::DOCS_HTML;

/// The head of the document; `crate::routes` adds the operations.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "KATO Dashboard API",
        description = "REST API of the KATO Dashboard: KATO's state, sessions, containers, alerts and the database \
            browsers. Errors are JSON `{\"detail\": …}`. Live updates are on the WebSocket `/ws` (docs/protocol.md)."
    ),
    servers((url = "/")),
    tags(
        (name = "service", description = "The dashboard itself"),
        (name = "kato", description = "KATO's own answers, proxied with short timeouts"),
        (name = "sessions", description = "KATO sessions (Redis + KATO pushes)"),
        (name = "containers", description = "Docker containers of the deployment"),
        (name = "alerts", description = "The server-side alert engine"),
        (name = "history", description = "Chart history on disk: raw seconds, 1-minute and 1-hour buckets"),
        (name = "analytics", description = "The old dashboard's analytics, from the history and KATO's stores"),
        (name = "mongodb", description = "KATO 1.x's knowledge bases"),
        (name = "knowledge bases", description = "KATO 3.x's knowledge bases (ClickHouse, Redis, Qdrant)"),
        (name = "qdrant", description = "KATO's vectors"),
        (name = "redis", description = "KATO's Redis"),
    ),
    components(schemas(ErrorBody)),
    modifiers(&SecuritySchemes)
)]
pub struct ApiDoc;

/// The body of every 4xx and 5xx answer (`crate::error::ApiError`).
#[derive(ToSchema)]
#[schema(as = Error)]
#[expect(
    dead_code,
    reason = "describes the JSON that ApiError writes; never built"
)]
pub struct ErrorBody {
    /// What went wrong
    detail: String,
    /// The upstream that failed, if any
    #[schema(nullable = false)]
    upstream: Option<String>,
}

/// The admin token, as `X-Admin-Token` or `Authorization: Bearer` (see `crate::auth`).
struct SecuritySchemes;

impl Modify for SecuritySchemes {
    fn modify(&self, doc: &mut Document) {
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "adminToken",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::new("X-Admin-Token"))),
        );
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// `responses(UpstreamErrors)`: the operation calls KATO, a database or Docker, which can fail.
pub struct UpstreamErrors;

impl IntoResponses for UpstreamErrors {
    fn responses() -> std::collections::BTreeMap<String, RefOr<Response>> {
        [
            ("502", "The upstream answered with an error or garbage"),
            ("503", "The upstream is unreachable"),
            ("504", "The upstream did not answer in time"),
        ]
        .into_iter()
        .map(|(code, description)| (code.to_owned(), error(description)))
        .collect()
    }
}

/// An answer with the [`ErrorBody`] shape.
fn error(description: &str) -> RefOr<Response> {
    let json = ContentBuilder::new()
        .schema(Some(Ref::from_schema_name("Error")))
        .build();
    ResponseBuilder::new()
        .description(description)
        .content("application/json", json)
        .build()
        .into()
}

/// Applies the rules every operation follows, so the handlers declare only what is particular to them:
/// `{*rest}` paths are written `{rest}`; the operation id is the method and path (`get_api_v1_sessions__id_`);
/// the doc comments' line wraps are not line breaks; a 200 JSON answer unless the handler declares one; 400/422
/// when it takes parameters or a body, 404 when it has path parameters, and 401/403 when it needs the admin
/// token.
pub fn finish(doc: &mut Document) {
    let paths = std::mem::take(&mut doc.paths.paths);
    for (path, mut item) in paths {
        let path = path.replace("{*", "{");
        for (method, op) in operations(&mut item) {
            rules(method, &path, op);
        }
        doc.paths.paths.insert(path, item);
    }
}

/// Joins the lines of each paragraph of a doc comment (Markdown reads them so; the explorer shows plain text).
fn unwrap_lines(text: &mut Option<String>) {
    if let Some(t) = text {
        *t = t
            .split("\n\n")
            .map(|paragraph| paragraph.replace('\n', " "))
            .collect::<Vec<_>>()
            .join("\n\n");
    }
}

/// The operations of a path item, with their method.
fn operations(item: &mut PathItem) -> impl Iterator<Item = (&'static str, &mut Operation)> {
    [
        ("get", item.get.as_mut()),
        ("post", item.post.as_mut()),
        ("put", item.put.as_mut()),
        ("delete", item.delete.as_mut()),
        ("patch", item.patch.as_mut()),
    ]
    .into_iter()
    .filter_map(|(method, op)| Some((method, op?)))
}

fn rules(method: &str, path: &str, op: &mut Operation) {
    op.operation_id = Some(format!(
        "{method}{}",
        path.replace(['/', '{', '}', '-', '.'], "_")
    ));
    unwrap_lines(&mut op.description);
    for p in op.parameters.iter_mut().flatten() {
        unwrap_lines(&mut p.description);
    }
    let params = op.parameters.as_deref().unwrap_or_default();
    let in_path = params
        .iter()
        .any(|p| matches!(p.parameter_in, ParameterIn::Path));
    let takes_input = !params.is_empty() || op.request_body.is_some();
    let admin = op.security.as_ref().is_some_and(|s| !s.is_empty());
    let answers = &mut op.responses.responses;
    answers.entry("200".into()).or_insert_with(|| {
        let any = ContentBuilder::new()
            .schema(Some(
                ObjectBuilder::new()
                    .schema_type(SchemaType::AnyValue)
                    .build(),
            ))
            .build();
        ResponseBuilder::new()
            .description("OK")
            .content("application/json", any)
            .build()
            .into()
    });
    let mut add = |code: &str, description: &str| {
        answers
            .entry(code.into())
            .or_insert_with(|| error(description));
    };
    if takes_input {
        add("400", "Invalid parameters or body");
        add("422", "Malformed query string");
    }
    if in_path {
        add("404", "Not found");
    }
    if admin {
        add("401", "Missing or wrong admin token");
        add(
            "403",
            "Destructive operations are off (no ADMIN_TOKEN, or read-only)",
        );
    }
}
