//! The routes: the page, its JSON API, and downloads.
//!
//! | route | what |
//! |---|---|
//! | `GET /` | the page (`?token=` sets the cookie) |
//! | `GET /api/session` | version, repository, CSRF token |
//! | `GET /api/snapshots` | the snapshots served |
//! | `GET /api/s/{snapshot}/ls?path=` | a folder |
//! | `GET /api/s/{snapshot}/months` | the timeline's months and their counts |
//! | `GET /api/s/{snapshot}/month/{year}/{month}` | a month's items |
//! | `GET /api/s/{snapshot}/search?name=&from=&to=&camera=` | matching items |
//! | `GET /api/s/{snapshot}/details?path=` | a photo's EXIF summary |
//! | `POST /api/s/{snapshot}/restore` | restore a selection (CSRF token) |
//! | `GET /file/{snapshot}?path=[&download=1]` | a file, with ranges |
//! | `GET /thumb/{snapshot}?path=` | a thumbnail |
//! | `GET /view/{snapshot}?path=` | the photo view's image |
//! | `GET /zip/{snapshot}?path=...&path=...[&name=]` | a selection as a zip archive |

use std::sync::Arc;

use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use photovault_core::serve::{
    expand_selection, photo_details, restore_selection, write_zip, Query, SnapshotPath,
};
use photovault_core::NodeKind;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::errors::Failure;
use crate::files::{self, disposition, HEAD};
use crate::state::State as AppState;
use crate::{auth, pages};

/// Most items one search answers with.
const MAX_SEARCH_RESULTS: usize = 5000;

/// The value of `key` in a query string, decoded.
pub(crate) fn param(query: Option<&str>, key: &str) -> Option<String> {
    params(query, key).into_iter().next()
}

/// Every value of `key` in a query string, decoded.
pub(crate) fn params(query: Option<&str>, key: &str) -> Vec<String> {
    form_urlencoded::parse(query.unwrap_or("").as_bytes())
        .filter(|(k, _)| k == key)
        .map(|(_, v)| v.into_owned())
        .collect()
}

pub(crate) fn router(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/", get(pages::index))
        .route("/assets/app.js", get(pages::script))
        .route("/assets/app.css", get(pages::style))
        .route("/api/session", get(session))
        .route("/api/snapshots", get(snapshots))
        .route("/api/s/{snapshot}/ls", get(ls))
        .route("/api/s/{snapshot}/months", get(months))
        .route("/api/s/{snapshot}/month/{year}/{month}", get(month))
        .route("/api/s/{snapshot}/search", get(search))
        .route("/api/s/{snapshot}/details", get(details))
        .route("/api/s/{snapshot}/restore", post(restore))
        .route("/file/{snapshot}", get(files::file))
        .route("/thumb/{snapshot}", get(files::thumb))
        .route("/view/{snapshot}", get(files::view))
        .route("/zip/{snapshot}", get(zip))
        .fallback(not_found)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            auth::guard,
        ))
        .layer(axum::middleware::from_fn(pages::security_headers))
        .with_state(state)
}

async fn not_found() -> Failure {
    Failure::new(StatusCode::NOT_FOUND, "There is nothing at this address.")
}

fn json_ok(value: Value) -> Response {
    let mut response = Json(value).into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

async fn session(State(state): State<Arc<AppState>>) -> Response {
    json_ok(json!({
        "version": photovault_core::VERSION,
        "repository": state.browser.repository().location(),
        "csrf": state.access.csrf(),
    }))
}

async fn snapshots(State(state): State<Arc<AppState>>) -> Response {
    let list: Vec<Value> = state
        .snapshots
        .iter()
        .rev()
        .map(|s| {
            let summary = s
                .snapshot
                .summary
                .as_ref()
                .map(|m| json!({"files": m.total_files, "bytes": m.total_bytes}));
            json!({
                "id": s.id.to_hex(),
                "short_id": s.id.short(),
                "time": s.snapshot.time.to_rfc3339(),
                "host": s.snapshot.hostname,
                "tags": s.snapshot.tags,
                "paths": s.snapshot.paths,
                "summary": summary,
            })
        })
        .collect();
    json_ok(Value::Array(list))
}

async fn ls(
    State(state): State<Arc<AppState>>,
    Path(snapshot): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Response, Failure> {
    let run = async {
        let entry = state.snapshot(&snapshot)?.clone();
        let path = SnapshotPath::parse(&param(query.as_deref(), "path").unwrap_or_default())?;
        let browser = state.browser.clone();
        let folder = tokio::task::spawn_blocking(move || {
            browser.list_path(&entry.snapshot, &path.as_lookup())
        })
        .await??;
        let entries: Vec<Value> = folder
            .entries
            .iter()
            .map(|n| {
                json!({
                    "name": n.display_name(),
                    "kind": match n.kind {
                        NodeKind::File => "file",
                        NodeKind::Dir => "dir",
                        NodeKind::Symlink => "symlink",
                    },
                    "size": n.size,
                    "mtime": n.mtime.secs,
                    "type": photovault_core::serve::content_type(&n.name),
                })
            })
            .collect();
        Ok::<_, Failure>(json_ok(
            json!({ "entries": entries, "hidden": folder.hidden.len() }),
        ))
    };
    run.await.map_err(Failure::json)
}

async fn months(
    State(state): State<Arc<AppState>>,
    Path(snapshot): Path<String>,
) -> Result<Response, Failure> {
    let run = async {
        let entry = state.snapshot(&snapshot)?.clone();
        let catalog = state.catalog(&entry).await?;
        Ok::<_, Failure>(json_ok(json!({
            "months": catalog.months,
            "total": catalog.items.len(),
            "unreadable": catalog.unreadable,
        })))
    };
    run.await.map_err(Failure::json)
}

async fn month(
    State(state): State<Arc<AppState>>,
    Path((snapshot, year, month)): Path<(String, i32, u32)>,
) -> Result<Response, Failure> {
    let run = async {
        let entry = state.snapshot(&snapshot)?.clone();
        let catalog = state.catalog(&entry).await?;
        let items = catalog.month(year, month).unwrap_or_default();
        Ok::<_, Failure>(json_ok(json!({ "items": items })))
    };
    run.await.map_err(Failure::json)
}

async fn search(
    State(state): State<Arc<AppState>>,
    Path(snapshot): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Response, Failure> {
    let run = async {
        let q = query.as_deref();
        let wanted = Query::new(
            param(q, "name").as_deref(),
            param(q, "from").as_deref(),
            param(q, "to").as_deref(),
            param(q, "camera").as_deref(),
        )?;
        let entry = state.snapshot(&snapshot)?.clone();
        let catalog = state.catalog(&entry).await?;
        let found: Vec<_> = catalog.items.iter().filter(|i| wanted.matches(i)).collect();
        let shown = &found[..found.len().min(MAX_SEARCH_RESULTS)];
        Ok::<_, Failure>(json_ok(json!({ "items": shown, "total": found.len() })))
    };
    run.await.map_err(Failure::json)
}

async fn details(
    State(state): State<Arc<AppState>>,
    Path(snapshot): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Response, Failure> {
    let run = async {
        let node = files::requested_file(&state, &snapshot, query.as_deref()).await?;
        let open = state.browser.open(&node)?;
        let details = tokio::task::spawn_blocking(move || -> Result<_, Failure> {
            Ok(photo_details(&open.read_at(0, HEAD)?))
        })
        .await??;
        Ok::<_, Failure>(json_ok(json!({ "details": details, "size": node.size })))
    };
    run.await.map_err(Failure::json)
}

/// `GET /zip/{snapshot}?path=...&path=...`: files and folders as one zip archive, written
/// while it is sent.
async fn zip(
    State(state): State<Arc<AppState>>,
    Path(snapshot): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Response, Failure> {
    let entry = state.snapshot(&snapshot)?.clone();
    let paths = params(query.as_deref(), "path")
        .iter()
        .map(|p| SnapshotPath::parse(p))
        .collect::<Result<Vec<_>, _>>()?;
    if paths.is_empty() {
        return Err(Failure::new(StatusCode::BAD_REQUEST, "nothing is selected"));
    }
    let name = match param(query.as_deref(), "name") {
        Some(name) if !name.is_empty() && !name.contains(['/', '\\', '\0']) => name,
        _ => match paths.as_slice() {
            [one] if !one.file_name().is_empty() => format!("{}.zip", one.file_name()),
            _ => format!("snapshot-{}.zip", entry.id.short()),
        },
    };
    let browser = state.browser.clone();
    let selected = {
        let browser = browser.clone();
        tokio::task::spawn_blocking(move || expand_selection(&browser, &entry.snapshot, &paths))
            .await??
    };
    let body = crate::stream::streamed(move |out| {
        write_zip(&browser, &selected, out)
            .map(|_| ())
            .map_err(|e| e.to_string())
    });
    let mut response = body.into_response();
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/zip"),
    );
    h.insert(
        header::CONTENT_DISPOSITION,
        disposition("attachment", &name),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}

#[derive(Deserialize)]
struct RestoreRequest {
    paths: Vec<String>,
    target: String,
}

async fn restore(
    State(state): State<Arc<AppState>>,
    Path(snapshot): Path<String>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<Response, Failure> {
    let run = async {
        if !state.access.csrf_ok(&headers) {
            return Err(Failure::new(
                StatusCode::FORBIDDEN,
                "the restore action needs the page's CSRF token and must come from this page",
            ));
        }
        let is_json = headers
            .get(header::CONTENT_TYPE)
            .and_then(|c| c.to_str().ok())
            .is_some_and(|c| c.starts_with("application/json"));
        if !is_json {
            return Err(Failure::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "send JSON",
            ));
        }
        let request: RestoreRequest = serde_json::from_slice(&body)
            .map_err(|e| Failure::new(StatusCode::BAD_REQUEST, format!("bad request: {e}")))?;
        let entry = state.snapshot(&snapshot)?.clone();
        let paths = request
            .paths
            .iter()
            .map(|p| SnapshotPath::parse(p))
            .collect::<Result<Vec<_>, _>>()?;
        let repo = state.browser.repository().clone();
        let target = std::path::PathBuf::from(request.target);
        let done = tokio::task::spawn_blocking(move || {
            restore_selection(&repo, &entry.snapshot, &paths, &target)
        })
        .await??;
        Ok(json_ok(serde_json::to_value(done).unwrap_or_default()))
    };
    run.await.map_err(Failure::json)
}
