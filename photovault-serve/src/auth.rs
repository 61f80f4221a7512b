//! Who may ask: every request passes [`guard`] before reaching a route.
//!
//! - The token: in the URL printed at start (`?token=...`), then in a cookie the page gets
//!   with it (`HttpOnly`, `SameSite=Strict`), or in an `X-Pvault-Token` header. Compared in
//!   constant time.
//! - A password, when set: HTTP basic authentication (any user name).
//! - On loopback, the `Host` header must name loopback: a web page elsewhere cannot reach
//!   the server through a DNS name it controls (DNS rebinding).
//! - The restore action also needs the CSRF token the page reads from `/api/session`, in an
//!   `X-Pvault-Csrf` header, and an `Origin` (when the browser sends one) of this server.

use std::sync::atomic::{AtomicU16, Ordering};
use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::Response;

use crate::errors::error_page;
use crate::state::State as AppState;
use crate::{ServeOptions, StartError};

/// The secrets of one server and the rules that go with them.
#[derive(Debug)]
pub struct Access {
    token: String,
    csrf: String,
    password: Option<String>,
    loopback: bool,
    port: AtomicU16,
}

fn random_hex(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    getrandom::getrandom(&mut buf).expect("the operating system gives random bytes");
    hex::encode(buf)
}

/// Equal, in time that does not depend on where they differ.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

impl Access {
    /// The rules for `options`: refuses a non-loopback address without a password, and a
    /// token given too short.
    pub fn new(options: &ServeOptions) -> Result<Access, StartError> {
        let loopback = options.listen.ip().is_loopback();
        let password = options.password.clone().filter(|p| !p.is_empty());
        if !loopback && password.is_none() {
            return Err(StartError::PasswordRequired(options.listen));
        }
        let token = match &options.token {
            Some(t) => {
                let ok = t.len() >= 16
                    && t.bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
                if !ok {
                    return Err(StartError::WeakToken);
                }
                t.clone()
            }
            None => random_hex(16),
        };
        Ok(Access {
            token,
            csrf: random_hex(16),
            password,
            loopback,
            port: AtomicU16::new(options.listen.port()),
        })
    }

    /// The token.
    pub fn token(&self) -> &str {
        &self.token
    }

    /// The CSRF token of the restore action.
    pub fn csrf(&self) -> &str {
        &self.csrf
    }

    pub(crate) fn set_port(&self, port: u16) {
        self.port.store(port, Ordering::Relaxed);
    }

    /// The cookie that carries the token: named after the port, as cookies are shared by
    /// every port of a host.
    pub(crate) fn cookie_name(&self) -> String {
        format!("pvault_{}", self.port.load(Ordering::Relaxed))
    }

    pub(crate) fn set_cookie(&self) -> HeaderValue {
        let cookie = format!(
            "{}={}; HttpOnly; SameSite=Strict; Path=/",
            self.cookie_name(),
            self.token
        );
        HeaderValue::from_str(&cookie).expect("hex is a valid header")
    }

    fn host_ok(&self, headers: &HeaderMap) -> bool {
        if !self.loopback {
            return true;
        }
        let Some(host) = headers.get(header::HOST).and_then(|h| h.to_str().ok()) else {
            return false;
        };
        let name = match host.rsplit_once(':') {
            Some((name, port))
                if !name.ends_with(':') && port.bytes().all(|b| b.is_ascii_digit()) =>
            {
                name
            }
            _ => host,
        };
        matches!(name, "localhost" | "[::1]")
            || name
                .parse::<std::net::Ipv4Addr>()
                .is_ok_and(|ip| ip.is_loopback())
    }

    /// The token a request carries: query `token`, header, or cookie.
    fn carried<'a>(
        &self,
        query: Option<&'a str>,
        headers: &'a HeaderMap,
    ) -> Vec<std::borrow::Cow<'a, str>> {
        let mut found = Vec::new();
        if let Some(q) = query {
            found.extend(
                form_urlencoded::parse(q.as_bytes())
                    .filter(|(k, _)| k == "token")
                    .map(|(_, v)| v),
            );
        }
        if let Some(h) = headers.get("x-pvault-token").and_then(|h| h.to_str().ok()) {
            found.push(h.into());
        }
        let name = self.cookie_name();
        for cookies in headers.get_all(header::COOKIE) {
            for pair in cookies.to_str().unwrap_or("").split(';') {
                if let Some((k, v)) = pair.trim().split_once('=') {
                    if k == name {
                        found.push(v.to_string().into());
                    }
                }
            }
        }
        found
    }

    fn password_ok(&self, headers: &HeaderMap) -> bool {
        let Some(password) = &self.password else {
            return true;
        };
        let given = headers
            .get(header::AUTHORIZATION)
            .and_then(|h| h.to_str().ok())
            .and_then(|h| h.strip_prefix("Basic "))
            .and_then(|b64| decode_base64(b64.trim()))
            .and_then(|raw| {
                let colon = raw.iter().position(|&b| b == b':')?;
                Some(raw[colon + 1..].to_vec())
            });
        given.is_some_and(|g| same(&g, password.as_bytes()))
    }

    /// Whether a state-changing request carries the CSRF token and comes from this origin.
    pub(crate) fn csrf_ok(&self, headers: &HeaderMap) -> bool {
        let token_ok = headers
            .get("x-pvault-csrf")
            .is_some_and(|h| same(h.as_bytes(), self.csrf.as_bytes()));
        let origin_ok = match headers.get(header::ORIGIN).and_then(|o| o.to_str().ok()) {
            None => true,
            Some(origin) => {
                let host = headers
                    .get(header::HOST)
                    .and_then(|h| h.to_str().ok())
                    .unwrap_or("");
                origin == format!("http://{host}")
            }
        };
        token_ok && origin_ok
    }
}

/// Standard base64 (the basic authentication header), without a crate for ten lines.
fn decode_base64(text: &str) -> Option<Vec<u8>> {
    let value = |c: u8| -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        } as u32)
    };
    let bytes: Vec<u8> = text.bytes().filter(|&b| b != b'=').collect();
    let mut out = Vec::new();
    for chunk in bytes.chunks(4) {
        let mut n = 0u32;
        for (i, &c) in chunk.iter().enumerate() {
            n |= value(c)? << (18 - 6 * i);
        }
        let take = match chunk.len() {
            4 => 3,
            3 => 2,
            2 => 1,
            _ => return None,
        };
        out.extend_from_slice(&n.to_be_bytes()[1..1 + take]);
    }
    Some(out)
}

/// The check every request passes.
pub(crate) async fn guard(
    State(state): State<Arc<AppState>>,
    request: Request,
    next: Next,
) -> Response {
    let access = &state.access;
    let headers = request.headers();
    if !access.host_ok(headers) {
        return error_page(
            StatusCode::MISDIRECTED_REQUEST,
            "This server answers only to a loopback host name (127.0.0.1, localhost, [::1]).",
        );
    }
    if !access.password_ok(headers) {
        let mut response = error_page(StatusCode::UNAUTHORIZED, "A password is needed.");
        response.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Basic realm=\"pvault\", charset=\"UTF-8\""),
        );
        return response;
    }
    let carried = access.carried(request.uri().query(), headers);
    let via_query = request
        .uri()
        .query()
        .is_some_and(|q| form_urlencoded::parse(q.as_bytes()).any(|(k, _)| k == "token"));
    if !carried
        .iter()
        .any(|t| same(t.as_bytes(), access.token.as_bytes()))
    {
        return error_page(
            StatusCode::FORBIDDEN,
            "This page needs the token of the address pvault serve printed when it started.",
        );
    }
    let mut response = next.run(request).await;
    if via_query {
        response
            .headers_mut()
            .insert(header::SET_COOKIE, access.set_cookie());
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_authentication_is_decoded() {
        assert_eq!(decode_base64("dXNlcjpzZWNyZXQ=").unwrap(), b"user:secret");
        assert_eq!(decode_base64("YQ==").unwrap(), b"a");
        assert!(decode_base64("!!!").is_none());
    }

    #[test]
    fn a_non_loopback_address_needs_a_password_and_tokens_must_be_long() {
        let remote = ServeOptions::default().listen("0.0.0.0:8080".parse().unwrap());
        assert!(matches!(
            Access::new(&remote),
            Err(StartError::PasswordRequired(_))
        ));
        assert!(Access::new(&remote.password("pw")).is_ok());
        let short = ServeOptions::default().token("abc");
        assert!(matches!(Access::new(&short), Err(StartError::WeakToken)));
        let access = Access::new(&ServeOptions::default()).unwrap();
        assert_eq!(access.token().len(), 32);
        assert_ne!(
            access.token(),
            Access::new(&ServeOptions::default()).unwrap().token()
        );
    }

    #[test]
    fn only_loopback_host_names_are_answered_on_loopback() {
        let access = Access::new(&ServeOptions::default()).unwrap();
        let with_host = |h: &str| {
            let mut headers = HeaderMap::new();
            headers.insert(header::HOST, HeaderValue::from_str(h).unwrap());
            access.host_ok(&headers)
        };
        assert!(with_host("127.0.0.1:8080"));
        assert!(with_host("localhost:8080"));
        assert!(with_host("[::1]:8080"));
        assert!(!with_host("evil.example:8080"));
        assert!(!with_host("127.0.0.1.evil.example"));
        assert!(!access.host_ok(&HeaderMap::new()));
    }
}
