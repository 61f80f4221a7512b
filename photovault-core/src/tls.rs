//! TLS for the HTTP clients: opendal's (S3, WebDAV and the other HTTP stores) and the
//! routine's alert POSTs. Both run on rustls with the ring provider, which is installed as
//! the process's default before the first client is built. (rustls' default provider,
//! aws-lc, was the largest C build of the workspace; ring does the same job here.)

/// Installs ring as the process's TLS provider, once. A provider some other part of the
/// embedding program installed first is kept: any of them serves.
pub(crate) fn install_provider() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}
