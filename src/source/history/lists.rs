//! Many lists kept as runs that lists share: the subtree lists of a history's trees.
//!
//! A long history holds thousands of versions of its big directories, each one entry away from
//! the last, so most of the subdirectory entries a history scan keeps are the same numbers
//! again and again. A long list is cut into runs where its content says (after an item the
//! caller's test picks, so an inserted or changed entry moves only the cuts around it), and a
//! run already stored is shared. At 80,000 commits this keeps 29 M subdirectory entries in a
//! small part of their size.

use std::hash::{BuildHasher, Hash};

use rustc_hash::{FxBuildHasher, FxHashMap};

/// Lists shorter than this are stored as they are: they are mostly distinct, and a run of
/// their own costs less than looking it up.
const SHARED_FROM: usize = 32;

/// No run is longer than this, whatever the cuts say.
const LONGEST_RUN: usize = 64;

/// A list in a [`SharedLists`]: the range of its runs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct ListSpan {
    start: u32,
    runs: u32,
}

/// Where a reading of a list stands: the run, and the item in it.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Cursor {
    run: u32,
    item: u32,
}

/// Lists of `T`, each a sequence of runs; equal runs are stored once.
pub(crate) struct SharedLists<T> {
    /// Every stored run's items, back to back.
    items: Vec<T>,
    /// Run `r` is `items[run_starts[r]..run_starts[r + 1]]`.
    run_starts: Vec<u32>,
    /// Each list's runs, back to back.
    list_runs: Vec<u32>,
    /// Runs of long lists by the hash of their items (a run whose hash another run holds is
    /// stored again, not shared). Dropped by [`SharedLists::finish`].
    by_hash: FxHashMap<u64, u32>,
}

impl<T> Default for SharedLists<T> {
    fn default() -> Self {
        SharedLists {
            items: Vec::new(),
            run_starts: vec![0],
            list_runs: Vec::new(),
            by_hash: FxHashMap::default(),
        }
    }
}

impl<T: Copy + Eq + Hash> SharedLists<T> {
    /// Stores a list; a long one is cut after each item for which `cut_after` says so.
    pub(crate) fn add(&mut self, list: &[T], cut_after: impl Fn(T) -> bool) -> ListSpan {
        let start = self.list_runs.len() as u32;
        if list.is_empty() {
            return ListSpan { start, runs: 0 };
        }
        if list.len() < SHARED_FROM {
            let run = self.store(list);
            self.list_runs.push(run);
            return ListSpan { start, runs: 1 };
        }
        let mut rest = list;
        while !rest.is_empty() {
            let len = (rest.iter().position(|&item| cut_after(item)))
                .map_or(rest.len(), |at| at + 1)
                .min(LONGEST_RUN);
            let run = self.shared(&rest[..len]);
            self.list_runs.push(run);
            rest = &rest[len..];
        }
        ListSpan {
            start,
            runs: self.list_runs.len() as u32 - start,
        }
    }

    /// The run holding `items`: one stored before, or a new one.
    fn shared(&mut self, items: &[T]) -> u32 {
        let hash = FxBuildHasher.hash_one(items);
        if let Some(&run) = self.by_hash.get(&hash) {
            if self.run(run) == items {
                return run;
            }
            return self.store(items);
        }
        let run = self.store(items);
        self.by_hash.insert(hash, run);
        run
    }

    fn store(&mut self, items: &[T]) -> u32 {
        self.items.extend_from_slice(items);
        self.run_starts.push(self.items.len() as u32);
        self.run_starts.len() as u32 - 2
    }

    fn run(&self, run: u32) -> &[T] {
        let start = self.run_starts[run as usize] as usize;
        let end = self.run_starts[run as usize + 1] as usize;
        &self.items[start..end]
    }

    /// Done adding: lets go of what only adding needs.
    pub(crate) fn finish(&mut self) {
        self.by_hash = FxHashMap::default();
        self.items.shrink_to_fit();
        self.run_starts.shrink_to_fit();
        self.list_runs.shrink_to_fit();
    }

    /// The next item of list `span` from `cursor`, which it moves past it.
    pub(crate) fn next(&self, span: ListSpan, cursor: &mut Cursor) -> Option<T> {
        while cursor.run < span.runs {
            let run = self.list_runs[(span.start + cursor.run) as usize];
            if let Some(&item) = self.run(run).get(cursor.item as usize) {
                cursor.item += 1;
                return Some(item);
            }
            cursor.run += 1;
            cursor.item = 0;
        }
        None
    }

    /// The items of list `span`, in order.
    #[cfg(test)]
    pub(crate) fn iter(&self, span: ListSpan) -> impl Iterator<Item = T> + '_ {
        let runs = &self.list_runs[span.start as usize..(span.start + span.runs) as usize];
        runs.iter().flat_map(|&run| self.run(run).iter().copied())
    }

    /// Moves `other`'s lists in after this one's, each item through `map`; returns what to
    /// add to the `start` of `other`'s spans (see [`ListSpan::moved`]).
    pub(crate) fn append(&mut self, other: SharedLists<T>, map: impl Fn(T) -> T) -> u32 {
        let (item_base, run_base) = (self.items.len() as u32, self.run_starts.len() as u32 - 1);
        let list_base = self.list_runs.len() as u32;
        self.items.extend(other.items.into_iter().map(map));
        (self.run_starts).extend(other.run_starts[1..].iter().map(|&end| end + item_base));
        (self.list_runs).extend(other.list_runs.iter().map(|&run| run + run_base));
        list_base
    }

    /// Items stored (shared runs once).
    #[cfg(test)]
    pub(crate) fn stored_items(&self) -> usize {
        self.items.len()
    }
}

/// Where lists of tree numbers are cut into runs: after about one number in sixteen (tree
/// numbers are ranks of ids, so spread evenly).
pub(crate) fn cut_after_tree_number(number: u32) -> bool {
    number % 16 == 15
}

/// Distinct values, numbered in first-seen order: entries of different versions of a tree that
/// point at the same object get the same number, so that their runs are equal and shared.
pub(crate) struct Numbered<T> {
    values: Vec<T>,
    numbers: FxHashMap<T, u32>,
}

impl<T> Default for Numbered<T> {
    fn default() -> Self {
        Numbered {
            values: Vec::new(),
            numbers: FxHashMap::default(),
        }
    }
}

impl<T: Copy + Eq + Hash> Numbered<T> {
    /// The number of `value`, new if it was not seen before.
    pub(crate) fn number(&mut self, value: T) -> u32 {
        let next = self.values.len() as u32;
        let number = *self.numbers.entry(value).or_insert(next);
        if number == next {
            self.values.push(value);
        }
        number
    }

    /// The values, by number.
    pub(crate) fn values(&self) -> &[T] {
        &self.values
    }

    /// The values, by number, letting go of the look-up.
    pub(crate) fn into_values(self) -> Vec<T> {
        self.values
    }

    /// Done numbering: lets go of the look-up.
    pub(crate) fn finish(&mut self) {
        self.numbers = FxHashMap::default();
    }
}

impl ListSpan {
    /// A list with no item.
    pub(crate) const EMPTY: ListSpan = ListSpan { start: 0, runs: 0 };

    /// The span of the same list once its lists were appended at `base` (see
    /// [`SharedLists::append`]).
    pub(crate) fn moved(self, base: u32) -> ListSpan {
        ListSpan {
            start: self.start + base,
            runs: self.runs,
        }
    }

    /// Whether the list has no item.
    #[cfg(test)]
    pub(crate) fn is_empty(self) -> bool {
        self.runs == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cut(item: u32) -> bool {
        item % 8 == 7
    }

    fn read_all(lists: &SharedLists<u32>, span: ListSpan) -> Vec<u32> {
        let mut cursor = Cursor::default();
        let mut items = Vec::new();
        while let Some(item) = lists.next(span, &mut cursor) {
            items.push(item);
        }
        assert_eq!(items, lists.iter(span).collect::<Vec<_>>());
        items
    }

    #[test]
    fn lists_read_back_as_they_were_added() {
        let mut rng = crate::test_rng(41);
        let mut lists = SharedLists::default();
        let mut added = Vec::new();
        // Versions of a big directory, each one entry away from the last, and small lists.
        let mut big: Vec<u32> = (0..300).map(|_| rng() as u32 % 1_000_000).collect();
        for version in 0..200 {
            let at = rng() as usize % big.len();
            match version % 3 {
                0 => big[at] = rng() as u32 % 1_000_000,
                1 => big.insert(at, rng() as u32 % 1_000_000),
                _ => {
                    big.remove(at);
                }
            }
            added.push((big.clone(), lists.add(&big, cut)));
            let small: Vec<u32> = (0..rng() % 40).map(|_| rng() as u32).collect();
            added.push((small.clone(), lists.add(&small, cut)));
        }
        let run_of_sevens = vec![7u32; 200]; // every item a cut; runs shared within the list
        added.push((run_of_sevens.clone(), lists.add(&run_of_sevens, cut)));
        let no_cuts = vec![8u32; 200]; // no cut at all: runs end at the longest length
        added.push((no_cuts.clone(), lists.add(&no_cuts, cut)));
        added.push((Vec::new(), lists.add(&[], cut)));
        let total: usize = added.iter().map(|(list, _)| list.len()).sum();
        let stored_while_adding = lists.stored_items();
        lists.finish();
        for (list, span) in &added {
            assert_eq!(&read_all(&lists, *span), list);
            assert_eq!(span.is_empty(), list.is_empty());
        }
        // The big directory's versions share nearly everything.
        assert!(
            stored_while_adding * 4 < total,
            "{stored_while_adding} of {total}"
        );
    }

    #[test]
    fn appended_lists_read_back_through_the_map() {
        let mut rng = crate::test_rng(42);
        let mut first = SharedLists::default();
        let mut second = SharedLists::default();
        let lists: Vec<Vec<u32>> = (0..50)
            .map(|_| (0..rng() % 120).map(|_| rng() as u32 % 1000).collect())
            .collect();
        let spans_first: Vec<ListSpan> = lists.iter().map(|l| first.add(l, cut)).collect();
        let spans_second: Vec<ListSpan> = lists.iter().map(|l| second.add(l, cut)).collect();
        let base = first.append(second, |item| item + 5000);
        for ((list, span), moved) in lists.iter().zip(&spans_first).zip(&spans_second) {
            assert_eq!(&read_all(&first, *span), list);
            let shifted: Vec<u32> = list.iter().map(|item| item + 5000).collect();
            assert_eq!(read_all(&first, moved.moved(base)), shifted);
        }
    }
}
