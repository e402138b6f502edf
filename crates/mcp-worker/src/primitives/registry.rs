//! What the tool, resource and prompt registries share: a fixed list of entries behind
//! pointers, in listing order, with the size of its pages, looked up by key, with the
//! scopes and input requests of all of them. Each public registry (`tools::Registry`,
//! `resources::Registry`, `prompts::Registry`) wraps one or two of these and adds what is
//! its own: definitions, URI matching, its start-up check.
//!
//! The list is generic over the entry type, so each registry keeps its own `dyn` type and
//! a lookup compiles to the loop one would write by hand over that type.
//!
//! Each registry keeps its own `check` loop: its rules come in its own order, and
//! resources and prompts count the keys they have seen in a list (the resources' list is
//! what the templates' check goes on with), which is smaller in the worker than asking
//! every earlier entry again as [`Entries::repeats`] does for tools. Folding the loops into
//! one generic check taking a closure per entry made the upload larger.

use std::ops::Range;

use super::InvalidCursor;

/// What a registry needs of an entry, beside what its own module reads from it.
/// Implemented for `dyn DynTool`, `dyn DynResource`, `dyn DynTemplate` and `dyn DynPrompt`,
/// each method `#[inline]`: it is one call through the entry's vtable, and out of line it
/// would be one more function in the upload for each entry type.
pub(crate) trait Entry: Sync {
    /// What the entry is looked up by, unique in its list: a name, a URI, a URI template.
    fn key(&self) -> &'static str;
    /// Scopes a token must grant to use it.
    fn scopes(&self) -> &'static [&'static str];
    /// Whether its handler may ask the client for input.
    fn asks_for_input(&self) -> bool;
}

/// Entries in listing order, served in pages of `page_size`.
pub(crate) struct Entries<T: ?Sized + 'static> {
    items: &'static [&'static T],
    page_size: usize,
}

impl<T: ?Sized> Entries<T> {
    /// `items`, in listing order, in pages of `page_size` (each registry's check refuses
    /// 0).
    pub(crate) const fn new(items: &'static [&'static T], page_size: usize) -> Self {
        Entries { items, page_size }
    }

    /// The same entries in pages of `page_size`.
    pub(crate) const fn with_page_size(mut self, page_size: usize) -> Self {
        self.page_size = page_size;
        self
    }

    /// Every entry, in listing order.
    pub(crate) fn all(&self) -> &'static [&'static T] {
        self.items
    }

    /// How many entries one page holds.
    pub(crate) fn page_size(&self) -> usize {
        self.page_size
    }

    /// Whether there are no entries.
    pub(crate) fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// The entries of the page `cursor` names, and the next page's cursor
    /// (`primitives::page`, the cursors every list uses).
    pub(crate) fn page(
        &self,
        cursor: Option<&str>,
    ) -> Result<(Range<usize>, Option<String>), InvalidCursor> {
        super::page(self.items.len(), self.page_size, cursor)
    }
}

impl<T: ?Sized + Entry> Entries<T> {
    /// Where the entry whose key is `key` is in the list.
    pub(crate) fn position(&self, key: &str) -> Option<usize> {
        self.items.iter().position(|e| e.key() == key)
    }

    /// The entry whose key is `key`.
    pub(crate) fn get(&self, key: &str) -> Option<&'static T> {
        self.items.iter().find(|e| e.key() == key).copied()
    }

    /// Every scope of every entry, in listing order; a scope several entries require
    /// comes once for each.
    pub(crate) fn scopes(&self) -> impl Iterator<Item = &'static str> + 'static {
        self.items.iter().flat_map(|e| e.scopes().iter().copied())
    }

    /// Whether some entry may ask the client for input.
    pub(crate) fn asks_for_input(&self) -> bool {
        self.items.iter().any(|e| e.asks_for_input())
    }

    /// Whether an entry before the `i`th has the key `key`: a second entry of one name,
    /// which a registry's check refuses.
    pub(crate) fn repeats(&self, i: usize, key: &str) -> bool {
        // `get`, not `[..i]`: no panic path, and no panic location in the upload.
        let before = self.items.get(..i).unwrap_or_default();
        before.iter().any(|e| e.key() == key)
    }
}

/// A registry's check as an assertion (each registry's `assert_valid`, for a server's
/// unit test): panics with the problem.
pub(crate) fn assert_valid(checked: Result<(), String>) {
    if let Err(problem) = checked {
        panic!("{problem}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct E(&'static str, &'static [&'static str], bool);
    impl Entry for E {
        fn key(&self) -> &'static str {
            self.0
        }
        fn scopes(&self) -> &'static [&'static str] {
            self.1
        }
        fn asks_for_input(&self) -> bool {
            self.2
        }
    }

    static A: E = E("a", &["x", "y"], false);
    static B: E = E("b", &["y"], true);
    static A2: E = E("a", &[], false);
    static LIST: [&E; 3] = [&A, &B, &A2];

    #[test]
    fn entries_are_found_by_key_in_listing_order() {
        let list = Entries::new(&LIST, 2);
        assert_eq!(list.position("b"), Some(1));
        assert!(list.get("a").is_some_and(|e| std::ptr::eq(e, &A)));
        assert!(list.get("c").is_none());
        assert_eq!((list.repeats(0, "a"), list.repeats(2, "a")), (false, true));
        assert!(!list.repeats(9, "c"));
        assert_eq!(list.scopes().collect::<Vec<_>>(), ["x", "y", "y"]);
        assert!(list.asks_for_input());
        assert_eq!(list.page(None), Ok((0..2, Some("p2".into()))));
        assert_eq!(list.with_page_size(3).page(None), Ok((0..3, None)));
    }
}
