//! [`SortedMap`]: the core's ordered map, a `Vec` kept sorted by key; [`sorted_positions`]: its one sort.

use std::borrow::Borrow;
use std::cmp::Ordering;
use std::fmt;

/// The positions `0..len` in the order `compare` gives them, equal ones in position order (a stable
/// sort). Every sort in the core goes through this one function, whatever it sorts: a binary
/// insertion sort, far smaller in the module than the standard sort (which ships a copy per element
/// type). Its compares are O(n log n); its moves are O(n²) only for input far from sorted, and the
/// core sorts a few query parameters or part numbers that come nearly in order (10,000 reversed: a
/// few milliseconds).
pub(crate) fn sorted_positions(len: usize, compare: &dyn Fn(usize, usize) -> Ordering) -> Vec<usize> {
    let mut order: Vec<usize> = Vec::with_capacity(len);
    for at in 0..len {
        // After every position that is not greater: equal ones stay in position order.
        let slot = order.partition_point(|&placed| compare(placed, at) != Ordering::Greater);
        order.insert(slot, at);
    }
    order
}

/// Values by key in key order, like a `BTreeMap`, kept as a `Vec` sorted by key and searched by
/// binary search. The maps of the core and the shell are small (a machine's jobs, requests and
/// locks: dozens) or filled in key order (part checksums: up to 10,000, appended), and each
/// `BTreeMap` type ships far more code.
#[derive(Clone)]
pub(crate) struct SortedMap<K, V>(Vec<(K, V)>);

impl<K: Ord, V> SortedMap<K, V> {
    /// An empty map.
    pub(crate) const fn new() -> Self {
        SortedMap(Vec::new())
    }

    /// Where `key` is (`Ok`) or would go (`Err`).
    fn find<Q: Ord + ?Sized>(&self, key: &Q) -> Result<usize, usize>
    where
        K: Borrow<Q>,
    {
        self.0.binary_search_by(|(k, _)| k.borrow().cmp(key))
    }

    pub(crate) fn get<Q: Ord + ?Sized>(&self, key: &Q) -> Option<&V>
    where
        K: Borrow<Q>,
    {
        self.find(key).ok().map(|at| &self.0[at].1)
    }

    pub(crate) fn get_mut<Q: Ord + ?Sized>(&mut self, key: &Q) -> Option<&mut V>
    where
        K: Borrow<Q>,
    {
        self.find(key).ok().map(|at| &mut self.0[at].1)
    }

    pub(crate) fn contains_key<Q: Ord + ?Sized>(&self, key: &Q) -> bool
    where
        K: Borrow<Q>,
    {
        self.find(key).is_ok()
    }

    /// Sets `key`'s value, giving back the one it replaces.
    pub(crate) fn insert(&mut self, key: K, value: V) -> Option<V> {
        match self.find(&key) {
            Ok(at) => Some(std::mem::replace(&mut self.0[at].1, value)),
            Err(at) => {
                self.0.insert(at, (key, value));
                None
            }
        }
    }

    pub(crate) fn remove<Q: Ord + ?Sized>(&mut self, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
    {
        self.find(key).ok().map(|at| self.0.remove(at).1)
    }
}

impl<K, V> SortedMap<K, V> {
    /// The entries in key order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (&K, &V)> {
        self.0.iter().map(|(k, v)| (k, v))
    }

    /// The entries in key order, values mutable.
    pub(crate) fn iter_mut(&mut self) -> impl Iterator<Item = (&K, &mut V)> {
        self.0.iter_mut().map(|(k, v)| (&*k, v))
    }

    /// The keys in order.
    pub(crate) fn keys(&self) -> impl Iterator<Item = &K> {
        self.0.iter().map(|(k, _)| k)
    }

    /// The values in key order.
    pub(crate) fn values(&self) -> impl Iterator<Item = &V> {
        self.0.iter().map(|(_, v)| v)
    }

    /// The values in key order, mutable.
    pub(crate) fn values_mut(&mut self) -> impl Iterator<Item = &mut V> {
        self.0.iter_mut().map(|(_, v)| v)
    }
}

impl<K: Ord, V> Default for SortedMap<K, V> {
    fn default() -> Self {
        SortedMap::new()
    }
}

impl<K: fmt::Debug, V: fmt::Debug> fmt::Debug for SortedMap<K, V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;
    use std::time::Instant;

    #[test]
    fn sorted_positions_is_a_stable_sort() {
        let items = [(3, 'a'), (1, 'b'), (3, 'c'), (2, 'd'), (1, 'e')];
        let order = sorted_positions(items.len(), &|a, b| items[a].0.cmp(&items[b].0));
        let sorted: Vec<_> = order.iter().map(|&at| items[at]).collect();
        let mut expected = items.to_vec();
        expected.sort_by_key(|item| item.0);
        assert_eq!(sorted, expected);
        assert!(sorted_positions(0, &|_, _| Ordering::Equal).is_empty());

        // Many repeats in a fixed pseudo-random order, against the standard stable sort.
        let mut x: u32 = 7;
        let items: Vec<(u32, usize)> = (0..2_000)
            .map(|at| {
                x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
                ((x >> 16) % 50, at)
            })
            .collect();
        let order = sorted_positions(items.len(), &|a, b| items[a].0.cmp(&items[b].0));
        let mut expected = items.clone();
        expected.sort_by_key(|item| item.0);
        assert!(order.iter().map(|&at| items[at]).eq(expected));
    }

    #[test]
    fn sorted_positions_of_ten_thousand_part_numbers_are_quick() {
        let start = Instant::now();
        let in_order: Vec<u16> = (1..=10_000).collect();
        let reversed: Vec<u16> = (1..=10_000).rev().collect();
        for numbers in [&in_order, &reversed] {
            let order = sorted_positions(numbers.len(), &|a, b| numbers[a].cmp(&numbers[b]));
            assert!(order.iter().map(|&at| numbers[at]).eq(1..=10_000));
        }
        assert!(start.elapsed().as_millis() < 1_000, "took {:?}", start.elapsed());
    }

    #[test]
    fn keeps_key_order_like_a_btree_map() {
        // A fixed pseudo-random sequence of inserts, replacements, removals and lookups.
        let mut map = SortedMap::new();
        let mut model = BTreeMap::new();
        let mut x: u32 = 12345;
        for step in 0..20_000u32 {
            x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
            let key = (x >> 16) % 300;
            match step % 4 {
                0 | 1 => assert_eq!(map.insert(key, step), model.insert(key, step)),
                2 => assert_eq!(map.remove(&key), model.remove(&key)),
                _ => {
                    assert_eq!(map.get(&key), model.get(&key));
                    assert_eq!(map.contains_key(&key), model.contains_key(&key));
                }
            }
        }
        assert!(map.iter().eq(model.iter()));
        assert!(map.keys().eq(model.keys()));
        assert!(map.values().eq(model.values()));
    }

    #[test]
    fn borrowed_lookups() {
        let mut map: SortedMap<String, String> = SortedMap::new();
        map.insert("b".to_owned(), "13".to_owned());
        map.insert("a".to_owned(), "2".to_owned());
        assert_eq!(map.get("b").map(String::as_str), Some("13"));
        assert!(map.keys().eq(["a", "b"]));
        if let Some(v) = map.get_mut("a") {
            v.push('4');
        }
        assert_eq!(map.remove("a").as_deref(), Some("24"));
        assert_eq!(format!("{map:?}"), r#"{"b": "13"}"#);
    }

    #[test]
    fn ten_thousand_part_checksums_in_order_are_quick() {
        let start = Instant::now();
        let mut map = SortedMap::new();
        for number in 1..=10_000u16 {
            map.insert(number, vec![0u8; 8]);
        }
        // Out of order too (a resumed upload's hashes finish in any order): reversed is the worst case.
        let mut reversed = SortedMap::new();
        for number in (1..=10_000u16).rev() {
            reversed.insert(number, vec![0u8; 8]);
        }
        assert!(map.keys().eq(reversed.keys()));
        assert!(map.keys().copied().eq(1..=10_000));
        assert!(start.elapsed().as_millis() < 1_000, "took {:?}", start.elapsed());
    }
}
