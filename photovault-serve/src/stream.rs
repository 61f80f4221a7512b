//! Bodies written by blocking code (a zip archive, a file read blob by blob) and sent as
//! they are made: the writer runs on a blocking thread and hands chunks to the response
//! through a small bounded channel, so memory stays bounded whatever the size, and a
//! client that goes away stops the writer at its next chunk.

use std::io::{self, Write};

use axum::body::{Body, Bytes};
use tokio::sync::mpsc;

/// Chunks handed over at a time.
const CHUNK: usize = 256 << 10;
/// Chunks waiting at most.
const QUEUE: usize = 8;

/// A `Write` whose bytes become the body.
pub(crate) struct BodyWriter {
    buffer: Vec<u8>,
    tx: mpsc::Sender<Result<Bytes, io::Error>>,
}

impl BodyWriter {
    fn send(&mut self) -> io::Result<()> {
        if self.buffer.is_empty() {
            return Ok(());
        }
        let chunk = Bytes::from(std::mem::replace(
            &mut self.buffer,
            Vec::with_capacity(CHUNK),
        ));
        self.tx
            .blocking_send(Ok(chunk))
            .map_err(|_| io::Error::new(io::ErrorKind::BrokenPipe, "the client went away"))
    }

    /// Ends the body with an error: the client sees a broken transfer, never a body that
    /// looks complete.
    pub(crate) fn fail(self, message: String) {
        let _ = self.tx.blocking_send(Err(io::Error::other(message)));
    }
}

impl Write for BodyWriter {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        self.buffer.extend_from_slice(data);
        if self.buffer.len() >= CHUNK {
            self.send()?;
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.send()
    }
}

impl Drop for BodyWriter {
    fn drop(&mut self) {
        let _ = self.send();
    }
}

/// A body and the writer that fills it; run `produce` on a blocking thread.
pub(crate) fn streamed(
    produce: impl FnOnce(&mut BodyWriter) -> Result<(), String> + Send + 'static,
) -> Body {
    let (tx, rx) = mpsc::channel(QUEUE);
    tokio::task::spawn_blocking(move || {
        let mut writer = BodyWriter {
            buffer: Vec::with_capacity(CHUNK),
            tx,
        };
        match produce(&mut writer) {
            Ok(()) => {
                let _ = writer.flush();
            }
            Err(message) => {
                eprintln!("pvault serve: a download stopped: {message}");
                writer.buffer.clear();
                writer.fail(message);
            }
        }
    });
    let stream = futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|item| (item, rx))
    });
    Body::from_stream(stream)
}
