//! Web Locks: a machine's lock on one upload (its file and key), held until the machine is done or
//! the tab closes, so another tab uploading the same file to the same key waits. The shell only
//! asks `navigator.locks` and reports; where it is missing (or refuses) the lock is reported held
//! at once, as before locks.

use crate::upload::Input;
use std::cell::{Cell, RefCell};
use std::rc::Rc;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::{JsFuture, spawn_local};

/// A lock asked for; dropping it releases the lock (or gives it up unheld).
pub(crate) struct HeldLock {
    state: Rc<LockState>,
}

#[derive(Default)]
struct LockState {
    /// The machine is done: a lock granted now is given back at once.
    done: Cell<bool>,
    /// [`Input::Locked`] was reported.
    reported: Cell<bool>,
    /// Resolves the promise the lock is held by.
    release: RefCell<Option<js_sys::Function>>,
}

impl Drop for HeldLock {
    fn drop(&mut self) {
        self.state.done.set(true);
        if let Some(release) = self.state.release.borrow_mut().take() {
            let _ = release.call0(&JsValue::UNDEFINED);
        }
    }
}

type Report = Rc<dyn Fn(Input)>;

/// Asks for the lock `name`: first only if it is free; when another tab holds it, reports
/// [`Input::LockBusy`] and waits in line. [`Input::Locked`] once held.
pub(crate) fn request(name: &str, report: impl Fn(Input) + 'static) -> HeldLock {
    let state = Rc::new(LockState::default());
    let report: Report = Rc::new(report);
    let Some(locks) = lock_manager() else {
        locked(&state, &report, false);
        return HeldLock { state };
    };
    let (first_state, first_report, name_owned, locks_again) =
        (state.clone(), report.clone(), name.to_owned(), locks.clone());
    let first = Closure::once_into_js(move |lock: JsValue| -> JsValue {
        if !lock.is_null() || first_state.done.get() {
            return hold(&first_state, &first_report);
        }
        first_report(Input::LockBusy);
        let (state, report) = (first_state.clone(), first_report.clone());
        let wait = Closure::once_into_js(move |_lock: JsValue| -> JsValue { hold(&state, &report) });
        ask(&locks_again, &name_owned, &js_sys::Object::new().into(), &wait, &first_state, &first_report);
        JsValue::UNDEFINED
    });
    let options = js_sys::Object::new();
    super::set(&options, "ifAvailable", &JsValue::TRUE);
    ask(&locks, name, &options.into(), &first, &state, &report);
    HeldLock { state }
}

/// Calls `navigator.locks.request(name, options, callback)`; a refusal counts as held.
fn ask(locks: &JsValue, name: &str, options: &JsValue, callback: &JsValue, state: &Rc<LockState>, report: &Report) {
    let request =
        js_sys::Reflect::get(locks, &"request".into()).ok().and_then(|f| f.dyn_into::<js_sys::Function>().ok());
    let answer = request.and_then(|f| f.call3(locks, &name.into(), options, callback).ok());
    let Some(promise) = answer.and_then(|p| p.dyn_into::<js_sys::Promise>().ok()) else {
        return locked(state, report, false);
    };
    let (state, report) = (state.clone(), report.clone());
    spawn_local(async move {
        if JsFuture::from(promise).await.is_err() && !state.done.get() {
            locked(&state, &report, false);
        }
    });
}

/// The lock is granted: reported, and held until released.
fn hold(state: &Rc<LockState>, report: &Report) -> JsValue {
    if state.done.get() {
        return JsValue::UNDEFINED;
    }
    locked(state, report, true);
    let mut keep = |resolve: js_sys::Function, _reject: js_sys::Function| {
        state.release.replace(Some(resolve));
    };
    js_sys::Promise::new(&mut keep).into()
}

/// Reports the lock held: `guarded` when Web Locks keep other tabs out, else [`Input::Unguarded`].
fn locked(state: &LockState, report: &Report, guarded: bool) {
    if !state.reported.replace(true) {
        report(if guarded { Input::Locked } else { Input::Unguarded });
    }
}

/// `navigator.locks`, where the browser has Web Locks.
fn lock_manager() -> Option<JsValue> {
    let navigator = js_sys::Reflect::get(&js_sys::global(), &"navigator".into()).ok()?;
    let locks = js_sys::Reflect::get(&navigator, &"locks".into()).ok()?;
    (!locks.is_undefined() && !locks.is_null()).then_some(locks)
}
