//! Errors as responses: a short HTML page (or JSON for the page's own API calls) saying
//! what went wrong, with the right status; never a stack trace or a repository path the
//! user did not ask about.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use photovault_core::serve::ServeError;

/// `text` with HTML's special characters escaped.
pub(crate) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A page for an error.
pub(crate) fn error_page(status: StatusCode, message: &str) -> Response {
    let title = format!(
        "{} {}",
        status.as_u16(),
        status.canonical_reason().unwrap_or("Error")
    );
    let body = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{t}</title>\
<link rel=\"stylesheet\" href=\"/assets/app.css\"></head><body class=\"error-page\"><main><h1>{t}</h1>\
<p>{m}</p></main></body></html>",
        t = escape(&title),
        m = escape(message)
    );
    let mut response = (status, body).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    response
}

/// A failure of a route: its status and message.
#[derive(Debug)]
pub(crate) struct Failure {
    pub status: StatusCode,
    pub message: String,
    /// JSON (for the page's API calls) rather than a page.
    pub json: bool,
}

impl Failure {
    pub fn new(status: StatusCode, message: impl Into<String>) -> Failure {
        Failure {
            status,
            message: message.into(),
            json: false,
        }
    }

    pub fn json(mut self) -> Failure {
        self.json = true;
        self
    }
}

impl From<ServeError> for Failure {
    fn from(e: ServeError) -> Failure {
        let status = match &e {
            _ if e.is_not_found() => StatusCode::NOT_FOUND,
            ServeError::PathRefused { .. } => StatusCode::BAD_REQUEST,
            ServeError::BadRequest(_) => StatusCode::BAD_REQUEST,
            _ => StatusCode::INTERNAL_SERVER_ERROR,
        };
        Failure::new(status, e.to_string())
    }
}

impl From<photovault_core::Error> for Failure {
    fn from(e: photovault_core::Error) -> Failure {
        ServeError::from(e).into()
    }
}

impl From<tokio::task::JoinError> for Failure {
    fn from(_: tokio::task::JoinError) -> Failure {
        Failure::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "the server failed while answering; see its log",
        )
    }
}

impl IntoResponse for Failure {
    fn into_response(self) -> Response {
        if self.json {
            let body = serde_json::json!({ "error": self.message }).to_string();
            let mut response = (self.status, body).into_response();
            response.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            );
            response
        } else {
            error_page(self.status, &self.message)
        }
    }
}
