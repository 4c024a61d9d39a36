//! Console warnings, once per page for each kind: the upload goes on, with less.

use std::cell::RefCell;

thread_local! {
    static WARNED: RefCell<Vec<Warning>> = const { RefCell::new(Vec::new()) };
}

/// What a warning is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Warning {
    /// IndexedDB cannot be opened.
    NoIndexedDb,
    /// A checkpoint could not be saved.
    NotSaved,
    /// A stored checkpoint could not be read.
    Unreadable,
    /// Workers cannot be started.
    NoWorkers,
}

/// Logs `message` to the console unless a warning of this kind was already given.
pub(crate) fn warn_once(kind: Warning, message: &str) {
    let first = WARNED.with_borrow_mut(|warned| {
        let first = !warned.contains(&kind);
        if first {
            warned.push(kind);
        }
        first
    });
    if first {
        web_sys::console::warn_1(&format!("partwise: {message}").into());
    }
}
