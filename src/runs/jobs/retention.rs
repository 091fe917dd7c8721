//! How long ended jobs are kept: `MIGRATION_JOBS_RETENTION`, a duration (`30d`, `12h`, `90m`), a
//! count (`500`), or both (`30d,500`); unset: 30 days and 500 jobs. Running jobs and jobs whose
//! callback is still due are never let go.

use crate::CoreError;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Retention {
    pub max_age_ms: f64,
    pub max_jobs: u32,
}

impl Default for Retention {
    fn default() -> Self {
        Retention { max_age_ms: 30.0 * DAY_MS, max_jobs: 500 }
    }
}

const MINUTE_MS: f64 = 60_000.0;
const DAY_MS: f64 = 24.0 * 60.0 * MINUTE_MS;

impl Retention {
    pub fn parse(text: &str) -> Result<Self, CoreError> {
        let mut retention = Retention::default();
        let bad = |part: &str| {
            CoreError::InvalidInput(format!(
                "MIGRATION_JOBS_RETENTION: {part:?} is neither a duration (30d, 12h, 90m) nor a number of jobs (500)"
            ))
        };
        for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let digits = part.trim_end_matches(|c: char| c.is_ascii_alphabetic());
            let unit = part.get(digits.len()..).unwrap_or_default();
            let number: u32 = digits.parse().map_err(|_| bad(part))?;
            match unit {
                "" => retention.max_jobs = number,
                "m" => retention.max_age_ms = f64::from(number) * MINUTE_MS,
                "h" => retention.max_age_ms = f64::from(number) * 60.0 * MINUTE_MS,
                "d" => retention.max_age_ms = f64::from(number) * DAY_MS,
                _ => return Err(bad(part)),
            }
        }
        Ok(retention)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_counts_both_or_the_default() {
        assert_eq!(Retention::parse("").unwrap(), Retention::default());
        assert_eq!(Retention::parse("7d").unwrap(), Retention { max_age_ms: 7.0 * DAY_MS, max_jobs: 500 });
        assert_eq!(Retention::parse("100").unwrap().max_jobs, 100);
        assert_eq!(Retention::parse(" 90m , 20 ").unwrap(), Retention { max_age_ms: 90.0 * MINUTE_MS, max_jobs: 20 });
        for bad in ["7w", "d", "-1", "1.5d", "ten"] {
            let err = Retention::parse(bad).unwrap_err();
            assert!(err.to_string().contains("MIGRATION_JOBS_RETENTION"), "{err}");
        }
    }
}
