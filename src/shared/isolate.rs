//! Halving until isolated: when the other side refuses a group of items, the group is split in
//! halves until the items it refuses stand alone, so the others still go through. One rule for
//! every caller (REST batches, the receiver's transactions):
//!
//! - an attempt that succeeds takes its whole group;
//! - an error about the items splits a group of two or more, and refuses a lone item with that
//!   error;
//! - an error that may be about the items or may be the other side failing on every write is
//!   treated as about the items — until `breaker` lone items in a row have been refused that way
//!   with nothing accepted in between: then the other side is failing, and isolating would only
//!   try every item alone, so it stops;
//! - any other error stops everything and is returned.
//!
//! Groups are tried depth-first, left half first, so accepted items keep their original order.

use std::future::Future;

#[derive(Debug, PartialEq)]
pub struct Isolated<T, E> {
    pub accepted: Vec<T>,
    pub refused: Vec<(T, E)>,
}

/// What a failed attempt says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Something in these items was refused.
    Items,
    /// The items, or the other side failing on every write: counts towards the breaker.
    ItemsOrOutage,
    /// The exchange failed as a whole.
    Stop,
}

/// Why isolating stopped: the exchange failed, or the breaker tripped after `refused` lone items
/// in a row. Either way, the last error.
#[derive(Debug, PartialEq)]
pub struct Stopped<E> {
    pub error: E,
    /// Set when the breaker tripped.
    pub refused_in_a_row: Option<usize>,
}

/// Try `items` with `attempt`, which gets a group and gives it back with the outcome.
pub async fn isolate<T, E, F, Fut>(
    items: Vec<T>,
    classify: impl Fn(&E) -> Verdict,
    breaker: usize,
    mut attempt: F,
) -> Result<Isolated<T, E>, Stopped<E>>
where
    F: FnMut(Vec<T>) -> Fut,
    Fut: Future<Output = (Vec<T>, Result<(), E>)>,
{
    let mut outcome = Isolated { accepted: Vec::new(), refused: Vec::new() };
    let mut pending = vec![items];
    let mut suspect_in_a_row = 0;
    while let Some(group) = pending.pop() {
        if group.is_empty() {
            continue;
        }
        let (mut group, result) = attempt(group).await;
        let error = match result {
            Ok(()) => {
                suspect_in_a_row = 0;
                outcome.accepted.append(&mut group);
                continue;
            }
            Err(error) => error,
        };
        let verdict = classify(&error);
        if verdict == Verdict::Stop {
            return Err(Stopped { error, refused_in_a_row: None });
        }
        if group.len() > 1 {
            let right = group.split_off(group.len() / 2);
            pending.push(right);
            pending.push(group);
            continue;
        }
        suspect_in_a_row = if verdict == Verdict::ItemsOrOutage { suspect_in_a_row + 1 } else { 0 };
        if suspect_in_a_row >= breaker.max(1) {
            return Err(Stopped { error, refused_in_a_row: Some(suspect_in_a_row) });
        }
        outcome.refused.extend(group.pop().map(|item| (item, error)));
    }
    Ok(outcome)
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;

    use futures::executor::block_on;

    use super::*;

    type Outcome = Result<Isolated<u32, &'static str>, Stopped<&'static str>>;

    /// Refuses any group holding an odd number above 4 ("bad row"); 0 stops everything ("down");
    /// numbers from 100 are refused as "server error", which may be an outage. Returns the outcome
    /// and the groups tried, in order.
    fn run(items: Vec<u32>) -> (Outcome, Vec<Vec<u32>>) {
        let tried = RefCell::new(Vec::new());
        let classify = |e: &&str| match *e {
            "bad row" => Verdict::Items,
            "server error" => Verdict::ItemsOrOutage,
            _ => Verdict::Stop,
        };
        let result = block_on(isolate(items, classify, 3, |group: Vec<u32>| {
            tried.borrow_mut().push(group.clone());
            let result = if group.contains(&0) {
                Err("down")
            } else if group.iter().any(|n| *n >= 100) {
                Err("server error")
            } else if group.iter().any(|n| *n > 4 && n % 2 == 1) {
                Err("bad row")
            } else {
                Ok(())
            };
            async move { (group, result) }
        }));
        (result, tried.into_inner())
    }

    #[test]
    fn a_clean_group_is_one_attempt() {
        let (result, tried) = run(vec![1, 2, 3]);
        assert_eq!(result.unwrap(), Isolated { accepted: vec![1, 2, 3], refused: vec![] });
        assert_eq!(tried.len(), 1);
    }

    #[test]
    fn offenders_end_up_alone_and_the_rest_keeps_its_order() {
        let (result, tried) = run(vec![1, 2, 3, 4, 5, 6]);
        let isolated = result.unwrap();
        assert_eq!(isolated.accepted, vec![1, 2, 3, 4, 6]);
        assert_eq!(isolated.refused, vec![(5, "bad row")]);
        assert_eq!(
            tried,
            vec![vec![1, 2, 3, 4, 5, 6], vec![1, 2, 3], vec![4, 5, 6], vec![4], vec![5, 6], vec![5], vec![6]]
        );
    }

    #[test]
    fn an_error_about_the_whole_exchange_stops_at_once() {
        let (result, tried) = run(vec![0, 5, 7]);
        assert_eq!(result.unwrap_err(), Stopped { error: "down", refused_in_a_row: None });
        assert_eq!(tried.len(), 1);
    }

    #[test]
    fn many_refusals_in_a_row_that_may_be_an_outage_trip_the_breaker() {
        let (result, tried) = run((100..164).collect());
        assert_eq!(result.unwrap_err(), Stopped { error: "server error", refused_in_a_row: Some(3) });
        assert_eq!(
            tried.len(),
            10,
            "halvings down to the first item, then on to three lone refusals: not 127 attempts"
        );
        // Lone refusals that are surely about the items never trip it.
        let (result, _) = run(vec![5, 7, 9, 11, 13]);
        assert_eq!(result.unwrap().refused.len(), 5);
        // An acceptance in between starts the count again.
        let (result, _) = run(vec![100, 1, 101, 2, 102, 3, 103]);
        assert_eq!(result.unwrap().refused.len(), 4);
    }
}
