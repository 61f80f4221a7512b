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
        BackendError::Remote {
            location: self.location.to_string(),
            op: self.op,
            path: self.key,
            message: describe(&e),
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
    let text = e.to_string();
    let hint = if text.contains("NoSuchBucket") {
        " (the bucket does not exist: create it with the store's tools first)"
    } else if text.contains("Host key verification failed") || text.contains("host key") {
        " (the server's host key is not known: connect once with ssh to accept it, or set -o sftp.known-hosts=accept)"
    } else {
        ""
    };
    format!("{text}{advice}{hint}")
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
