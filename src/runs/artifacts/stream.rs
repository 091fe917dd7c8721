//! One artifact written as a stream: opened, appended to in chunks, closed. The first failure is
//! kept and the rest of the writing skipped; the file is still closed, so the host can let go of
//! it.

use crate::host::{Library, NewFile};
use crate::runs::report::SavedArtifact;

/// At most this much text crosses to the host in one append.
const MAX_CHUNK: usize = 32 * 1024;

pub struct Streamed<'a, H> {
    host: &'a H,
    pub name: String,
    handle: Option<u32>,
    error: Option<String>,
    bytes: u64,
}

impl<'a, H: Library> Streamed<'a, H> {
    pub async fn open(host: &'a H, file: NewFile) -> Self {
        let name = file.filename.clone();
        match host.open_file(&file).await {
            Ok(handle) => Streamed { host, name, handle: Some(handle), error: None, bytes: 0 },
            Err(error) => Streamed { host, name, handle: None, error: Some(error.message), bytes: 0 },
        }
    }

    /// Append `text` (in chunks of at most [`MAX_CHUNK`] bytes); nothing once the file failed.
    pub async fn write(&mut self, text: &str) {
        let Some(handle) = self.handle.filter(|_| self.error.is_none()) else { return };
        for chunk in chunks(text, MAX_CHUNK) {
            if let Err(error) = self.host.append_file(handle, chunk).await {
                self.error = Some(error.message);
                return;
            }
            self.bytes += chunk.len() as u64;
        }
    }

    /// Give up on the file: it closes as missing, with `reason`.
    pub fn fail(&mut self, reason: String) {
        self.error.get_or_insert(reason);
    }

    /// The saved file, or its name and why it is not there.
    pub async fn close(self) -> Result<SavedArtifact, (String, String)> {
        let Some(handle) = self.handle else {
            return Err((self.name, self.error.unwrap_or_default()));
        };
        let closed = self.host.close_file(handle).await;
        match (self.error, closed) {
            (Some(error), _) | (None, Err(crate::host::HostError { message: error, .. })) => Err((self.name, error)),
            (None, Ok(id)) => Ok(SavedArtifact { name: self.name, id, bytes: self.bytes }),
        }
    }
}

/// `text` in pieces of at most `max` bytes, cut at character boundaries.
fn chunks(text: &str, max: usize) -> impl Iterator<Item = &str> {
    let mut rest = text;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        let mut end = rest.len().min(max);
        while !rest.is_char_boundary(end) {
            end -= 1;
        }
        let (head, tail) = rest.split_at(end);
        rest = tail;
        Some(head)
    })
}

#[cfg(test)]
mod tests {
    use super::chunks;

    #[test]
    fn chunks_cut_at_character_boundaries() {
        let pieces: Vec<&str> = chunks("ab日本c", 4).collect();
        assert_eq!(pieces, vec!["ab", "日", "本c"]);
        assert_eq!(chunks("", 4).count(), 0);
    }
}
