//! Halving until isolated: when the other side refuses a group of items, the group is split in
//! halves until the items it refuses stand alone, so the others still go through. One rule for
//! every caller (REST batches, bulk batches, the receiver's transactions):
//!
//! - an attempt that succeeds takes its whole group;
//! - an error the caller says is about the items splits a group of two or more, and refuses a
//!   lone item with that error;
//! - any other error stops everything and is returned.
//!
//! Groups are tried depth-first, left half first, so accepted items keep their original order.

use std::future::Future;

#[derive(Debug, PartialEq)]
pub struct Isolated<T, E> {
    pub accepted: Vec<T>,
    pub refused: Vec<(T, E)>,
}

/// Try `items` with `attempt`, which gets a group and gives it back with the outcome.
pub async fn isolate<T, E, F, Fut>(
    items: Vec<T>,
    about_items: impl Fn(&E) -> bool,
    mut attempt: F,
) -> Result<Isolated<T, E>, E>
where
    F: FnMut(Vec<T>) -> Fut,
    Fut: Future<Output = (Vec<T>, Result<(), E>)>,
{
    let mut outcome = Isolated { accepted: Vec::new(), refused: Vec::new() };
    let mut pending = vec![items];
    while let Some(group) = pending.pop() {
        if group.is_empty() {
            continue;
        }
        let (mut group, result) = attempt(group).await;
        match result {
            Ok(()) => outcome.accepted.append(&mut group),
            Err(error) if !about_items(&error) => return Err(error),
            Err(error) if group.len() == 1 => outcome.refused.push((group.pop().expect("one item"), error)),
            Err(_) => {
                let right = group.split_off(group.len() / 2);
                pending.push(right);
                pending.push(group);
            }
        }
    }
    Ok(outcome)
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;

    use futures::executor::block_on;

    use super::*;

    /// Refuses any group holding an odd number above 4; "down" stops everything.
    fn run(items: Vec<u32>) -> (Result<Isolated<u32, &'static str>, &'static str>, Vec<Vec<u32>>) {
        let tried = RefCell::new(Vec::new());
        let result = block_on(isolate(
            items,
            |e: &&str| *e == "bad row",
            |group: Vec<u32>| {
                tried.borrow_mut().push(group.clone());
                let result = if group.contains(&0) {
                    Err("down")
                } else if group.iter().any(|n| *n > 4 && n % 2 == 1) {
                    Err("bad row")
                } else {
                    Ok(())
                };
                async move { (group, result) }
            },
        ));
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
        assert_eq!(result.unwrap_err(), "down");
        assert_eq!(tried.len(), 1);
    }
}
