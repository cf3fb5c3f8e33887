//! A bounded map whose entries hold only while their tenant's generation
//! does (see [`super::Freshness`]).
use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{PoisonError, RwLock};

/// `G` is the generation an entry is tagged with: a tenant's generation of
/// one domain, or a tuple of the generations (and local change counts) the
/// entry depends on.
pub struct GenMap<K, V, G = u64> {
    entries: RwLock<HashMap<K, (G, V)>>,
    max: usize,
}

impl<K: Eq + Hash, V: Clone, G: Copy + Eq> GenMap<K, V, G> {
    /// At most `max` entries; past it the map starts over.
    pub fn new(max: usize) -> Self {
        Self {
            entries: RwLock::new(HashMap::new()),
            max,
        }
    }

    /// The entry, if it was loaded under `generation`.
    pub fn get(&self, key: &K, generation: G) -> Option<V> {
        self.entries
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(key)
            .filter(|(g, _)| *g == generation)
            .map(|(_, v)| v.clone())
    }

    /// Keeps `value`, loaded under `generation` (read *before* loading it).
    pub fn put(&self, key: K, generation: G, value: V) {
        let mut entries = self.entries.write().unwrap_or_else(PoisonError::into_inner);
        if entries.len() >= self.max {
            entries.clear();
        }
        entries.insert(key, (generation, value));
    }

    pub fn remove(&self, key: &K) {
        self.entries
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_entry_holds_only_under_its_generation() {
        let map = GenMap::new(2);
        map.put("a", 1, 10);
        assert_eq!(map.get(&"a", 1), Some(10));
        assert_eq!(map.get(&"a", 2), None);
        assert_eq!(map.get(&"b", 1), None);
        map.remove(&"a");
        assert_eq!(map.get(&"a", 1), None);
    }

    #[test]
    fn a_full_map_starts_over() {
        let map = GenMap::new(2);
        map.put("a", 1, 1);
        map.put("b", 1, 2);
        map.put("c", 1, 3);
        assert_eq!(map.get(&"a", 1), None);
        assert_eq!(map.get(&"c", 1), Some(3));
    }
}
