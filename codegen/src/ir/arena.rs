//! Typed arenas: a `Vec` indexed by its own id type, so a schema id cannot index the operations.
//!
//! [`Arena`] owns the IR's nodes ([`super::Ir::schemas`], [`super::Ir::operations`], an
//! operation's parameters and responses) and doubles as a side table (`Arena<SchemaId, bool>`
//! made with [`Arena::filled`]). Ids are `u32` newtypes made by the crate-private `arena_id!` macro; they convert to
//! and from `usize` only through [`ArenaId`].

use std::fmt;
use std::marker::PhantomData;
use std::ops::{Index, IndexMut};

/// A typed index into an [`Arena`].
pub trait ArenaId: Copy {
    /// The id of the `index`th element.
    fn from_index(index: usize) -> Self;
    /// The position of the element (for untyped tables and messages).
    fn index(self) -> usize;
}

/// Defines a `u32` newtype id implementing [`ArenaId`].
macro_rules! arena_id {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(u32);

        impl $crate::ir::arena::ArenaId for $name {
            fn from_index(index: usize) -> Self {
                $name(u32::try_from(index).expect(concat!(stringify!($name), " beyond u32")))
            }
            fn index(self) -> usize {
                self.0 as usize
            }
        }

        impl $name {
            /// The id of the `index`th element of its arena.
            pub fn from_index(index: usize) -> Self {
                <Self as $crate::ir::arena::ArenaId>::from_index(index)
            }
            /// The element's position in its arena (for untyped tables and messages).
            pub fn index(self) -> usize {
                <Self as $crate::ir::arena::ArenaId>::index(self)
            }
        }
    };
}
pub(crate) use arena_id;

/// A `Vec<T>` indexed by `I`.
pub struct Arena<I, T> {
    items: Vec<T>,
    id: PhantomData<fn(I) -> I>,
}

impl<I: ArenaId, T> Arena<I, T> {
    /// An empty arena.
    pub const fn new() -> Self {
        Arena { items: Vec::new(), id: PhantomData }
    }

    /// `len` copies of `value`: a side table for an arena of that length.
    pub fn filled(len: usize, value: T) -> Self
    where
        T: Clone,
    {
        Arena::from(vec![value; len])
    }

    /// The number of elements.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// True when there are no elements.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Appends an element and returns its id.
    pub fn push(&mut self, value: T) -> I {
        let id = self.next_id();
        self.items.push(value);
        id
    }

    /// The id the next [`Arena::push`] returns.
    pub fn next_id(&self) -> I {
        I::from_index(self.items.len())
    }

    /// The element at `id`, if it is in the arena.
    pub fn get(&self, id: I) -> Option<&T> {
        self.items.get(id.index())
    }

    /// The element at `id` mutably, if it is in the arena.
    pub fn get_mut(&mut self, id: I) -> Option<&mut T> {
        self.items.get_mut(id.index())
    }

    /// The elements in id order.
    pub fn iter(&self) -> std::slice::Iter<'_, T> {
        self.items.iter()
    }

    /// The elements in id order, mutably.
    pub fn iter_mut(&mut self) -> std::slice::IterMut<'_, T> {
        self.items.iter_mut()
    }

    /// Every id, in order.
    pub fn ids(&self) -> impl DoubleEndedIterator<Item = I> + ExactSizeIterator + use<I, T> {
        (0..self.items.len()).map(I::from_index)
    }

    /// `(id, element)` pairs in id order.
    pub fn iter_enumerated(&self) -> impl DoubleEndedIterator<Item = (I, &T)> + ExactSizeIterator {
        self.items.iter().enumerate().map(|(i, t)| (I::from_index(i), t))
    }

    /// `(id, element)` pairs in id order, mutably.
    pub fn iter_enumerated_mut(&mut self) -> impl DoubleEndedIterator<Item = (I, &mut T)> + ExactSizeIterator {
        self.items.iter_mut().enumerate().map(|(i, t)| (I::from_index(i), t))
    }

    /// The id of the first element that satisfies `pred`.
    pub fn position(&self, pred: impl FnMut(&T) -> bool) -> Option<I> {
        self.items.iter().position(pred).map(I::from_index)
    }

    /// The elements as a slice, in id order.
    pub fn as_slice(&self) -> &[T] {
        &self.items
    }
}

impl<I: ArenaId, T> Default for Arena<I, T> {
    fn default() -> Self {
        Arena::new()
    }
}

impl<I, T: Clone> Clone for Arena<I, T> {
    fn clone(&self) -> Self {
        Arena { items: self.items.clone(), id: PhantomData }
    }
}

impl<I, T: fmt::Debug> fmt::Debug for Arena<I, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(&self.items).finish()
    }
}

impl<I, T: PartialEq> PartialEq for Arena<I, T> {
    fn eq(&self, other: &Self) -> bool {
        self.items == other.items
    }
}

impl<I: ArenaId, T> Index<I> for Arena<I, T> {
    type Output = T;
    fn index(&self, id: I) -> &T {
        &self.items[id.index()]
    }
}

impl<I: ArenaId, T> IndexMut<I> for Arena<I, T> {
    fn index_mut(&mut self, id: I) -> &mut T {
        &mut self.items[id.index()]
    }
}

impl<I, T> From<Vec<T>> for Arena<I, T> {
    fn from(items: Vec<T>) -> Self {
        Arena { items, id: PhantomData }
    }
}

impl<I, T> FromIterator<T> for Arena<I, T> {
    fn from_iter<It: IntoIterator<Item = T>>(iter: It) -> Self {
        Arena::from(iter.into_iter().collect::<Vec<T>>())
    }
}

impl<I, T> IntoIterator for Arena<I, T> {
    type Item = T;
    type IntoIter = std::vec::IntoIter<T>;
    fn into_iter(self) -> Self::IntoIter {
        self.items.into_iter()
    }
}

impl<'a, I, T> IntoIterator for &'a Arena<I, T> {
    type Item = &'a T;
    type IntoIter = std::slice::Iter<'a, T>;
    fn into_iter(self) -> Self::IntoIter {
        self.items.iter()
    }
}

impl<'a, I, T> IntoIterator for &'a mut Arena<I, T> {
    type Item = &'a mut T;
    type IntoIter = std::slice::IterMut<'a, T>;
    fn into_iter(self) -> Self::IntoIter {
        self.items.iter_mut()
    }
}

#[cfg(test)]
mod tests {
    use super::Arena;

    arena_id!(
        /// A test id.
        TestId
    );

    #[test]
    fn ids_index_their_own_arena() {
        let mut a: Arena<TestId, &str> = Arena::new();
        let x = a.push("x");
        let y = a.push("y");
        assert_eq!((x.index(), y.index()), (0, 1));
        assert_eq!(a[y], "y");
        a[x] = "z";
        assert_eq!(a.iter_enumerated().collect::<Vec<_>>(), vec![(x, &"z"), (y, &"y")]);
        assert_eq!(a.ids().collect::<Vec<_>>(), vec![x, y]);
        assert_eq!(a.position(|s| *s == "y"), Some(y));
        let mut seen: Arena<TestId, bool> = Arena::filled(a.len(), false);
        seen[y] = true;
        assert_eq!(seen.position(|b| *b), Some(y));
        assert!(TestId::from_index(5) > y);
    }
}
