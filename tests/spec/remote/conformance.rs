//! The backend conformance suite (SPEC §16.1) against real servers.

use photovault_core::backend::{conformance, RetryPolicy};

use super::Server;

fn conforms(server: Server) {
    let Some(_) = server.base() else { return };
    conformance::run(&|| {
        let location = server.fresh_location("conformance").expect("checked above");
        server.open(&location, RetryPolicy::default())
    });
}

#[test]
fn the_sftp_backend_conforms() {
    conforms(Server::Sftp);
}

#[test]
fn the_s3_backend_conforms() {
    conforms(Server::S3);
}

#[test]
fn the_webdav_backend_conforms() {
    conforms(Server::WebDav);
}
