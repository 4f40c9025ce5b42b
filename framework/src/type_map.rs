//! A hasher for maps keyed by `TypeId`: the id is already a hash, so hashing it
//! again (SipHash, the std default) only costs time on every request's lookups.

use std::hash::{BuildHasherDefault, Hasher};

/// Passes a `TypeId`'s bits through (folding any other input).
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct TypeIdHasher(u64);

impl Hasher for TypeIdHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for byte in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(*byte);
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = self.0.rotate_left(29) ^ n;
    }

    fn write_u128(&mut self, n: u128) {
        self.write_u64(n as u64);
        self.write_u64((n >> 64) as u64);
    }
}

/// The `BuildHasher` of [`TypeIdHasher`].
pub(crate) type TypeIdBuild = BuildHasherDefault<TypeIdHasher>;

#[cfg(test)]
mod tests {
    use std::{any::TypeId, collections::HashMap};

    use super::*;

    #[test]
    fn distinct_types_stay_distinct() {
        let mut map: HashMap<TypeId, &str, TypeIdBuild> = HashMap::default();
        map.insert(TypeId::of::<u8>(), "u8");
        map.insert(TypeId::of::<String>(), "String");
        map.insert(TypeId::of::<Vec<u8>>(), "Vec<u8>");
        assert_eq!(map[&TypeId::of::<String>()], "String");
        assert_eq!(map[&TypeId::of::<Vec<u8>>()], "Vec<u8>");
        assert_eq!(map.len(), 3);
    }
}
