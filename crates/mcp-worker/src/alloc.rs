//! The worker's memory allocator: freed small blocks kept in lists by size class, in front
//! of the standard one (dlmalloc, on `wasm32-unknown-unknown`).
//!
//! A cached `tools/call` makes about a hundred small allocations (strings, JSON maps,
//! futures) and frees them all before the answer. dlmalloc spent 12,000 of the call's
//! instructions in workerd on them (measured for a cached `tools/call`). Here a block of up to
//! 1 KiB is rounded up to a power of two from 16 bytes, and a freed one goes onto its
//! class's list, so the next allocation of that class is a pop. Larger blocks, and
//! alignments above 16, go straight to the allocator behind.
//!
//! The cost is memory: a listed block is not returned to the allocator behind, so an
//! isolate keeps as many small blocks of each class as it once had live at one time, and a
//! block may be up to twice its request. For a worker that answers in kilobytes this is
//! a few hundred KiB at worst, of the isolate's 128 MB.
//!
//! Not thread-safe (no locks): a worker's wasm is one thread. An app installs it as its
//! global allocator, in front of the standard one:
//!
//! ```ignore
//! #[cfg(target_arch = "wasm32")]
//! #[global_allocator]
//! static ALLOCATOR: mcp_worker::alloc::SizeClasses<std::alloc::System> =
//!     mcp_worker::alloc::SizeClasses::new(std::alloc::System);
//! ```

use std::alloc::{GlobalAlloc, Layout};
use std::cell::Cell;
use std::ptr;

/// Classes of 16, 32, … 1024 bytes.
const CLASSES: usize = 7;
const SMALLEST: usize = 16;
const LARGEST: usize = SMALLEST << (CLASSES - 1);
/// Every class block is allocated with this alignment (the largest a small block serves).
const ALIGN: usize = 16;

/// The allocator: per-class lists of freed blocks in front of `A`.
pub struct SizeClasses<A> {
    /// Each list's first block; a listed block's first word points to the next one.
    heads: [Cell<*mut u8>; CLASSES],
    behind: A,
}

impl<A> SizeClasses<A> {
    /// Empty lists in front of `behind` (`std::alloc::System` in a worker).
    pub const fn new(behind: A) -> Self {
        SizeClasses {
            heads: [const { Cell::new(ptr::null_mut()) }; CLASSES],
            behind,
        }
    }
}

/// The class of a layout, or `None` when it goes to the allocator behind.
#[inline(always)]
fn class(layout: Layout) -> Option<usize> {
    if layout.size() > LARGEST || layout.align() > ALIGN {
        return None;
    }
    let size = layout.size().max(SMALLEST).next_power_of_two();
    Some((size.trailing_zeros() - SMALLEST.trailing_zeros()) as usize)
}

#[inline(always)]
fn class_layout(class: usize) -> Layout {
    // SAFETY: a power of two no larger than LARGEST, with a power-of-two alignment.
    unsafe { Layout::from_size_align_unchecked(SMALLEST << class, ALIGN) }
}

// SAFETY: blocks come from `behind` with the class's size and an alignment of 16, which
// covers every layout the class takes; a block is listed only once it is freed, and
// leaves the list before it is handed out again.
unsafe impl<A: GlobalAlloc> GlobalAlloc for SizeClasses<A> {
    #[inline]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let Some(c) = class(layout) else {
            return self.behind.alloc(layout);
        };
        let head = self.heads[c].get();
        if head.is_null() {
            return self.behind.alloc(class_layout(c));
        }
        self.heads[c].set(head.cast::<*mut u8>().read());
        head
    }

    #[inline]
    unsafe fn dealloc(&self, block: *mut u8, layout: Layout) {
        let Some(c) = class(layout) else {
            return self.behind.dealloc(block, layout);
        };
        block.cast::<*mut u8>().write(self.heads[c].get());
        self.heads[c].set(block);
    }

    unsafe fn realloc(&self, block: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: the caller guarantees the new size, rounded to the alignment, fits.
        let new_layout = Layout::from_size_align_unchecked(new_size, layout.align());
        match (class(layout), class(new_layout)) {
            (Some(a), Some(b)) if a == b => block,
            (None, None) => self.behind.realloc(block, layout, new_size),
            _ => {
                let moved = self.alloc(new_layout);
                if !moved.is_null() {
                    ptr::copy_nonoverlapping(block, moved, layout.size().min(new_size));
                    self.dealloc(block, layout);
                }
                moved
            }
        }
    }
}

// SAFETY: a worker's wasm runs on one thread (no `atomics`, so no shared memory): nothing
// reaches the lists from two threads. This is what lets it be the global allocator.
#[cfg(all(target_arch = "wasm32", not(target_feature = "atomics")))]
unsafe impl<A: Sync> Sync for SizeClasses<A> {}

#[cfg(test)]
mod tests {
    use super::*;
    use std::alloc::System;
    use std::cell::RefCell;

    /// The allocator behind, counting what reaches it.
    #[derive(Default)]
    struct Counting {
        allocs: Cell<usize>,
        frees: Cell<usize>,
        sizes: RefCell<Vec<usize>>,
    }
    unsafe impl GlobalAlloc for Counting {
        unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
            self.allocs.set(self.allocs.get() + 1);
            self.sizes.borrow_mut().push(layout.size());
            System.alloc(layout)
        }
        unsafe fn dealloc(&self, block: *mut u8, layout: Layout) {
            self.frees.set(self.frees.get() + 1);
            System.dealloc(block, layout)
        }
    }

    fn layout(size: usize, align: usize) -> Layout {
        Layout::from_size_align(size, align).unwrap()
    }

    #[test]
    fn sizes_fall_into_power_of_two_classes_up_to_1_kib() {
        assert_eq!(class(layout(1, 1)), Some(0));
        assert_eq!(class(layout(16, 8)), Some(0));
        assert_eq!(class(layout(17, 8)), Some(1));
        assert_eq!(class(layout(300, 4)), Some(5));
        assert_eq!(class(layout(1024, 16)), Some(6));
        assert_eq!(class(layout(1025, 1)), None);
        assert_eq!(class(layout(8, 32)), None);
    }

    #[test]
    fn a_freed_block_is_handed_out_again_without_the_allocator_behind() {
        let a = SizeClasses::new(Counting::default());
        unsafe {
            let x = a.alloc(layout(24, 8));
            let y = a.alloc(layout(20, 4));
            assert_ne!(x, y);
            a.dealloc(x, layout(24, 8));
            a.dealloc(y, layout(20, 4));
            // Last in, first out, whichever size of the class asks.
            assert_eq!(a.alloc(layout(32, 8)), y);
            assert_eq!(a.alloc(layout(17, 1)), x);
            assert_eq!(a.behind.allocs.get(), 2);
            assert_eq!(*a.behind.sizes.borrow(), [32, 32]);
            // Another class does not take them.
            let z = a.alloc(layout(64, 8));
            assert!(z != x && z != y);
            assert_eq!(a.behind.frees.get(), 0);
            // Large blocks go straight through, both ways.
            let big = a.alloc(layout(4096, 8));
            a.dealloc(big, layout(4096, 8));
            assert_eq!(a.behind.frees.get(), 1);
            assert_eq!(a.behind.sizes.borrow().last(), Some(&4096));
            for (p, l) in [(x, 17), (y, 32), (z, 64)] {
                a.dealloc(p, layout(l, 1));
            }
        }
    }

    #[test]
    fn blocks_hold_their_bytes_and_keep_them_through_realloc() {
        let a = SizeClasses::new(Counting::default());
        unsafe {
            let mut size = 5;
            let mut p = a.alloc(layout(size, 1));
            for i in 0..size {
                p.add(i).write(i as u8);
            }
            // Within a class the block stays; across classes, and to and from the large
            // sizes, the bytes move with it.
            for new in [9, 16, 40, 700, 3000, 9000, 600, 12] {
                let q = a.realloc(p, layout(size, 1), new);
                if class(layout(size, 1)).is_some()
                    && class(layout(size, 1)) == class(layout(new, 1))
                {
                    assert_eq!(q, p);
                }
                for i in 0..size.min(new) {
                    assert_eq!(q.add(i).read(), i as u8, "byte {i} after {size} → {new}");
                }
                for i in size.min(new)..new {
                    q.add(i).write(i as u8);
                }
                p = q;
                size = new;
            }
            a.dealloc(p, layout(size, 1));
            // Alignment is kept for every class.
            for s in [1, 16, 100, 1024] {
                let p = a.alloc(layout(s, 16));
                assert_eq!(p as usize % 16, 0);
                a.dealloc(p, layout(s, 16));
            }
        }
    }

    #[test]
    fn many_live_blocks_of_every_class_never_overlap() {
        let a = SizeClasses::new(Counting::default());
        let mut live: Vec<(*mut u8, usize)> = Vec::new();
        let mut seed = 7u32;
        let mut next = || {
            seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12_345);
            (seed >> 8) as usize
        };
        unsafe {
            for round in 0..4000 {
                if next() % 3 == 0 && !live.is_empty() {
                    let (p, s) = live.swap_remove(next() % live.len());
                    for i in 0..s {
                        assert_eq!(p.add(i).read(), (s + i) as u8, "round {round}");
                    }
                    a.dealloc(p, layout(s, 8));
                } else {
                    let s = 1 + next() % 1500;
                    let p = a.alloc(layout(s, 8));
                    assert!(!p.is_null());
                    for i in 0..s {
                        p.add(i).write((s + i) as u8);
                    }
                    live.push((p, s));
                }
            }
            for (p, s) in live {
                a.dealloc(p, layout(s, 8));
            }
        }
    }
}
