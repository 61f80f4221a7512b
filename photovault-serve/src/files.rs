//! File bytes: a file of a snapshot (whole, or the byte range a video player asks for,
//! read from the blobs that hold that range only), its thumbnail, and the photo view's
//! image.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use photovault_core::serve::{
    browser_shows, content_type, make_thumbnail, placeholder, SnapshotPath, Thumbnail,
    ThumbnailCache, MAX_DECODED_FILE,
};
use photovault_core::{Node, NodeKind};

use crate::api::param;
use crate::errors::Failure;
use crate::state::State as AppState;
use crate::stream::streamed;

/// Bytes read from the repository per step while sending a file.
const STEP: usize = 1 << 20;
/// The first bytes of a file that hold its EXIF.
pub(crate) const HEAD: usize = 256 << 10;

/// The file a request names (`?path=`), checked, looked up on a blocking thread.
pub(crate) async fn requested_file(
    state: &Arc<AppState>,
    snapshot: &str,
    query: Option<&str>,
) -> Result<Node, Failure> {
    let entry = state.snapshot(snapshot)?.clone();
    let path = SnapshotPath::parse(&param(query, "path").unwrap_or_default())?;
    let browser = state.browser.clone();
    let node = tokio::task::spawn_blocking(move || {
        browser
            .repository()
            .find_path(&entry.snapshot, &path.as_lookup())
    })
    .await??;
    if node.kind != NodeKind::File {
        return Err(Failure::new(StatusCode::BAD_REQUEST, "not a file"));
    }
    Ok(node)
}

/// `bytes=a-b`, `bytes=a-`, `bytes=-n` of a file of `size` bytes: the inclusive range, or
/// `Err` when it is not satisfiable. Only the first range of a list is served.
fn parse_range(header: &str, size: u64) -> Option<Result<(u64, u64), ()>> {
    let spec = header.trim().strip_prefix("bytes=")?;
    let first = spec.split(',').next()?.trim();
    let (start, end) = first.split_once('-')?;
    let range = match (start.trim(), end.trim()) {
        ("", suffix) => {
            let n: u64 = suffix.parse().ok()?;
            if n == 0 || size == 0 {
                return Some(Err(()));
            }
            (size.saturating_sub(n), size - 1)
        }
        (start, "") => (start.parse().ok()?, size.saturating_sub(1)),
        (start, end) => {
            let (s, e): (u64, u64) = (start.parse().ok()?, end.parse().ok()?);
            if e < s {
                return None;
            }
            (s, e.min(size.saturating_sub(1)))
        }
    };
    if range.0 >= size {
        return Some(Err(()));
    }
    Some(Ok(range))
}

/// `attachment; filename*=UTF-8''...` (or `inline`).
pub(crate) fn disposition(kind: &str, name: &str) -> HeaderValue {
    let encoded: String = name
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    HeaderValue::from_str(&format!("{kind}; filename*=UTF-8''{encoded}"))
        .unwrap_or_else(|_| HeaderValue::from_static("attachment"))
}

/// Sends `node`'s bytes, honouring a `Range` header.
pub(crate) fn send_file(
    state: &Arc<AppState>,
    node: Node,
    headers: &HeaderMap,
    download: bool,
) -> Result<Response, Failure> {
    let size = node.size;
    let range = headers
        .get(header::RANGE)
        .and_then(|r| r.to_str().ok())
        .and_then(|r| parse_range(r, size));
    let (status, start, end) = match range {
        Some(Err(())) => {
            let mut response = StatusCode::RANGE_NOT_SATISFIABLE.into_response();
            response.headers_mut().insert(
                header::CONTENT_RANGE,
                HeaderValue::from_str(&format!("bytes */{size}")).expect("digits"),
            );
            return Ok(response);
        }
        Some(Ok((s, e))) => (StatusCode::PARTIAL_CONTENT, s, e + 1),
        None => (StatusCode::OK, 0, size),
    };
    let name = node.display_name();
    let kind = content_type(&node.name);
    let open = state.browser.open(&node)?;
    let body = if start == end {
        Body::empty()
    } else {
        streamed(move |out| {
            use std::io::Write;
            let mut offset = start;
            while offset < end {
                let want = (end - offset).min(STEP as u64) as usize;
                let bytes = open.read_at(offset, want).map_err(|e| e.to_string())?;
                if bytes.is_empty() {
                    return Err("the file ended early".into());
                }
                out.write_all(&bytes).map_err(|e| e.to_string())?;
                offset += bytes.len() as u64;
            }
            Ok(())
        })
    };
    let mut response = (status, body).into_response();
    let h = response.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(kind));
    h.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    h.insert(header::CONTENT_LENGTH, HeaderValue::from(end - start));
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, max-age=3600"),
    );
    h.insert(
        header::CONTENT_DISPOSITION,
        disposition(if download { "attachment" } else { "inline" }, &name),
    );
    if status == StatusCode::PARTIAL_CONTENT {
        let value = format!("bytes {start}-{}/{size}", end - 1);
        h.insert(
            header::CONTENT_RANGE,
            HeaderValue::from_str(&value).expect("digits"),
        );
    }
    Ok(response)
}

/// `GET /file/{snapshot}?path=...[&download=1]`.
pub(crate) async fn file(
    State(state): State<Arc<AppState>>,
    Path(snapshot): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Result<Response, Failure> {
    let node = requested_file(&state, &snapshot, query.as_deref()).await?;
    let download = param(query.as_deref(), "download").is_some_and(|d| d == "1");
    send_file(&state, node, &headers, download)
}

fn image_response(thumbnail: Thumbnail) -> Response {
    let mut response = Body::from(thumbnail.bytes.to_vec()).into_response();
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(thumbnail.content_type),
    );
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, max-age=86400"),
    );
    response
}

/// The thumbnail of `node`: from the cache, else made (at most one per core at a time).
pub(crate) async fn thumbnail_of(state: &Arc<AppState>, node: Node) -> Result<Thumbnail, Failure> {
    let key = ThumbnailCache::key(&node);
    if let Some(thumbnail) = state.thumbnails.get(&key) {
        return Ok(thumbnail);
    }
    let _permit = state
        .making_thumbnails
        .acquire()
        .await
        .map_err(|_| Failure::new(StatusCode::SERVICE_UNAVAILABLE, "the server is stopping"))?;
    if let Some(thumbnail) = state.thumbnails.get(&key) {
        return Ok(thumbnail);
    }
    let open = state.browser.open(&node)?;
    let thumbnail = tokio::task::spawn_blocking(move || -> Result<Thumbnail, Failure> {
        let video = photovault_core::serve::content_type(&node.name).starts_with("video/");
        if video {
            return Ok(placeholder("VIDEO"));
        }
        let len = if node.size > MAX_DECODED_FILE {
            HEAD
        } else {
            node.size as usize
        };
        let bytes = open.read_at(0, len)?;
        Ok(make_thumbnail(&node.name, &bytes))
    })
    .await??;
    state.thumbnails.insert(key, thumbnail.clone());
    Ok(thumbnail)
}

/// `GET /thumb/{snapshot}?path=...`.
pub(crate) async fn thumb(
    State(state): State<Arc<AppState>>,
    Path(snapshot): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Response, Failure> {
    let node = requested_file(&state, &snapshot, query.as_deref()).await?;
    Ok(image_response(thumbnail_of(&state, node).await?))
}

/// `GET /view/{snapshot}?path=...`: the image of the photo view. The file itself when a
/// browser shows it; else its embedded preview, or a placeholder.
pub(crate) async fn view(
    State(state): State<Arc<AppState>>,
    Path(snapshot): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Result<Response, Failure> {
    let node = requested_file(&state, &snapshot, query.as_deref()).await?;
    if browser_shows(&node.name) {
        return send_file(&state, node, &headers, false);
    }
    Ok(image_response(thumbnail_of(&state, node).await?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_are_parsed_and_clamped() {
        assert_eq!(parse_range("bytes=0-99", 1000), Some(Ok((0, 99))));
        assert_eq!(parse_range("bytes=900-", 1000), Some(Ok((900, 999))));
        assert_eq!(parse_range("bytes=-100", 1000), Some(Ok((900, 999))));
        assert_eq!(parse_range("bytes=990-2000", 1000), Some(Ok((990, 999))));
        assert_eq!(parse_range("bytes=0-1, 5-6", 1000), Some(Ok((0, 1))));
        assert_eq!(parse_range("bytes=1000-", 1000), Some(Err(())));
        assert_eq!(parse_range("bytes=-0", 1000), Some(Err(())));
        assert_eq!(parse_range("bytes=5-1", 1000), None);
        assert_eq!(parse_range("lines=1-2", 1000), None);
        assert_eq!(parse_range("bytes=a-b", 1000), None);
    }

    #[test]
    fn download_names_are_percent_encoded() {
        assert_eq!(
            disposition("attachment", "a b\"é.jpg"),
            "attachment; filename*=UTF-8''a%20b%22%C3%A9.jpg"
        );
    }
}
