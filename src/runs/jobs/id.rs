//! Process ids: `migration_<epoch ms>_<12 lowercase letters or digits>`, the shape Flows built on
//! the earlier extension's callbacks expect.

const ALPHABET: &[u8; 36] = b"abcdefghijklmnopqrstuvwxyz0123456789";

/// A new process id from the time and a source of uniform randomness in `[0, 1)`.
pub fn process_id(now_ms: f64, mut random: impl FnMut() -> f64) -> String {
    let suffix: String = (0..12)
        .map(|_| {
            let index = ((random().clamp(0.0, 0.999_999) * ALPHABET.len() as f64) as usize).min(ALPHABET.len() - 1);
            ALPHABET.get(index).map_or('0', |byte| char::from(*byte))
        })
        .collect();
    format!("migration_{}_{suffix}", now_ms.max(0.0) as u64)
}

/// Whether `text` has the shape of a process id (checked before it is looked up).
pub fn is_process_id(text: &str) -> bool {
    let Some(rest) = text.strip_prefix("migration_") else { return false };
    let Some((ms, suffix)) = rest.split_once('_') else { return false };
    !ms.is_empty()
        && ms.len() <= 16
        && ms.bytes().all(|b| b.is_ascii_digit())
        && suffix.len() == 12
        && suffix.bytes().all(|b| ALPHABET.contains(&b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn has_the_documented_shape() {
        let mut n = 0.0;
        let id = process_id(1_672_531_200_000.0, || {
            n += 0.07;
            n % 1.0
        });
        assert!(id.starts_with("migration_1672531200000_"), "{id}");
        assert!(is_process_id(&id), "{id}");
        assert_eq!(id.len(), "migration_1672531200000_".len() + 12);
        for bad in ["migration_1_abc", "migration_x_abcdefghijkl", "job_1_abcdefghijkl", "migration_1_ABCDEFGHIJKL"] {
            assert!(!is_process_id(bad), "{bad}");
        }
    }
}
