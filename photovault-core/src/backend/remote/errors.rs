//! opendal's errors as photovault's: what failed, on which object, and whether trying again
//! may help. Messages carry the location as shown (no credentials) and the store's answer.

use opendal::ErrorKind;

use crate::backend::{BackendError, FileKind};

/// The call that failed, for naming it in the error.
pub(super) struct Failure<'a> {
    pub location: &'a str,
    pub op: &'static str,
    pub key: String,
}

impl Failure<'_> {
    /// The error for a failure of the call (a missing object included, as a failure).
    pub fn from(self, e: opendal::Error, kind: FileKind) -> BackendError {
        let _ = kind;
        let mut message = describe(&e);
        message.push_str(outage_advice(self.op, &message));
        BackendError::Remote {
            location: self.location.to_string(),
            op: self.op,
            path: self.key,
            message,
            transient: is_transient(&e),
        }
    }

    /// Like [`Failure::from`], but a missing object is [`BackendError::NotFound`].
    pub fn not_found_as(self, e: opendal::Error, kind: FileKind, name: &str) -> BackendError {
        if e.kind() == ErrorKind::NotFound {
            return BackendError::NotFound {
                location: self.location.to_string(),
                kind,
                name: name.to_string(),
            };
        }
        if e.kind() == ErrorKind::RangeNotSatisfied {
            return BackendError::Remote {
                location: self.location.to_string(),
                op: self.op,
                path: self.key,
                message: "the range asked for lies past the object's end".into(),
                transient: false,
            };
        }
        self.from(e, kind)
    }
}

/// Whether the store said, or the failure suggests, that a later attempt may succeed.
fn is_transient(e: &opendal::Error) -> bool {
    e.is_temporary() || matches!(e.kind(), ErrorKind::RateLimited | ErrorKind::Unexpected)
}

/// The store's answer with advice where the cause is clear.
pub(super) fn describe(e: &opendal::Error) -> String {
    let advice = match e.kind() {
        ErrorKind::PermissionDenied => {
            " (access denied: check the credentials, AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY for S3, the ssh key for SFTP)"
        }
        ErrorKind::ConfigInvalid => " (the location or its options are not valid)",
        _ => "",
    };
    let text = with_causes(e);
    let hint = if text.contains("NoSuchBucket") {
        " (the bucket does not exist: create it with the store's tools first)"
    } else if text.contains("Host key verification failed") || text.contains("host key") {
        " (the server's host key is not known: connect once with ssh to accept it, or set -o sftp.known-hosts=accept)"
    } else if text.contains("certificate") {
        " (the server's TLS certificate is not trusted by this system: check the address, or install the certificate of its authority in the system's trust store)"
    } else {
        ""
    };
    format!("{text}{advice}{hint}")
}

/// The error's message followed by those of its causes that it does not already include
/// (opendal shows one level: "error sending request" hides a refused TLS certificate).
fn with_causes(e: &opendal::Error) -> String {
    let mut text = e.to_string();
    let mut cause = std::error::Error::source(e);
    while let Some(inner) = cause {
        let message = inner.to_string();
        if !text.contains(&message) {
            text.push_str(": ");
            text.push_str(&message);
        }
        cause = inner.source();
    }
    text
}

/// What to do when the store went away or has no room left, judged from its answer (`text`,
/// as [`describe`] gives it) to the call `op`. These are the failures left once retries are
/// used up; what is stored is not damaged by them (objects are written whole or not at all),
/// so the advice is to fix the store and run the command again.
fn outage_advice(op: &str, text: &str) -> &'static str {
    let lower = text.to_ascii_lowercase();
    let full = [
        "no space left",
        "storagefull",
        "storage full",
        "insufficientstorage",
        "insufficient storage",
        "quotaexceeded",
        "quota exceeded",
    ];
    if lower.contains("certificate") {
        "" // not an outage: `describe` says what to do
    } else if full.iter().any(|s| lower.contains(s)) {
        " (the store is out of space: free some or add capacity, then run the backup again)"
    } else if op == "write" && lower.contains("error kind failure") {
        // OpenSSH's SFTP server answers a full disk, like most refusals, with a bare "Failure".
        " (the SFTP server refused the write without giving a reason: its disk may be full or the folder not writable; fix that, then run the backup again)"
    } else if [
        "error sending request",
        "error reading a body",
        "connection closed before message completed",
        "connection refused",
        "connection reset",
        "broken pipe",
        "failed to connect", // ssh, when the SFTP server no longer takes connections
    ]
    .iter()
    .any(|s| lower.contains(s))
    {
        " (the server stopped answering: check that it is running and reachable, then run the command again)"
    } else if op == "write" && (lower.contains("internalerror") || lower.contains("status: 500")) {
        // S3 servers of one's own (s3s-fs, Garage, MinIO on a small disk) answer a full disk so.
        " (the server failed the write with an internal error: on a server of your own a full disk is the usual cause; check its disk and logs, then run the backup again)"
    } else {
        ""
    }
}

/// A read past an object's end.
pub(super) fn past_the_end(location: &str, key: &str, end: u64, size: u64) -> BackendError {
    BackendError::Io {
        location: location.to_string(),
        op: "read",
        path: key.to_string(),
        source: std::io::Error::new(
            std::io::ErrorKind::UnexpectedEof,
            format!("the object ends at byte {size}, before byte {end}"),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::outage_advice;

    #[test]
    fn a_full_store_is_named_as_such() {
        let s3 = "Unexpected (temporary) at write => S3Error { code: \"XMinioStorageFull\" }";
        assert!(outage_advice("write", s3).contains("out of space"));
        assert!(
            outage_advice("write", "No space left on device (os error 28)")
                .contains("out of space")
        );
    }

    #[test]
    fn a_bare_sftp_failure_on_a_write_suggests_a_full_disk() {
        let sftp = "Sftp server reported error kind Failure, msg: Err Message: Failure";
        assert!(outage_advice("write", sftp).contains("disk may be full"));
        assert_eq!(outage_advice("read", sftp), "");
    }

    #[test]
    fn an_internal_error_on_a_write_points_at_the_servers_disk() {
        let s3 = "Unexpected (temporary) at write, context: { response: Parts { status: 500 } } \
                  => S3Error { code: \"InternalError\", message: \"\" }";
        assert!(outage_advice("write", s3).contains("full disk"));
        assert_eq!(outage_advice("read", s3), "");
    }

    #[test]
    fn a_server_that_stopped_answering_is_said_to_have() {
        let gone =
            "Unexpected (temporary) at write => send http request, source: error sending request";
        assert!(outage_advice("write", gone).contains("stopped answering"));
        let ssh = "Unexpected (permanent) at write => ssh error, source: failed to connect to the remote host";
        assert!(outage_advice("write", ssh).contains("stopped answering"));
        assert_eq!(outage_advice("read", "NoSuchKey"), "");
    }
}
