//! Priority-inheritance futexes: FUTEX_LOCK_PI, FUTEX_LOCK_PI2,
//! FUTEX_TRYLOCK_PI and FUTEX_UNLOCK_PI (musl's PTHREAD_PRIO_INHERIT
//! mutexes). The word holds the owner's thread id, FUTEX_WAITERS while
//! threads wait, and FUTEX_OWNER_DIED after an owner's death (its exit
//! hands the futex to a waiter, as an unlock would). While
//! a real-time thread waits, the owner runs at that thread's priority, so
//! a task of a priority between theirs cannot keep it off the CPU.
//!
//! The kernel's side of each operation runs under one lock (`PI_OPS`),
//! and changes the word only with compare-and-exchange, since threads on
//! other CPUs change it from user mode at any time.

use alloc::collections::BTreeMap;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicBool, Ordering};

use abi::Errno;
use spin::Mutex;

use super::futex::{deadline, key_of, Key, FUTEX_OWNER_DIED, FUTEX_TID_MASK, FUTEX_WAITERS};
use super::pid;
use crate::arch::cpu::without_interrupts;
use crate::sched::current;
use crate::sched::task::{Pid, Task};
use crate::sched::timer::wait_with_deadline;
use crate::sched::wait::WaitQueue;
use crate::uaccess::{compare_exchange_user, read_user, write_user};

struct PiWaiter {
    task: Arc<Task>,
    /// Set by the unlock that hands the futex over.
    granted: AtomicBool,
    /// The owner died holding it: the new owner writes the word itself
    /// (the dead one's address space may map it elsewhere).
    owner_died: AtomicBool,
}

/// A contended PI futex: its owner as last seen, and its waiters in order.
struct PiState {
    owner: Pid,
    waiters: Vec<Arc<PiWaiter>>,
}

static PI_STATES: Mutex<BTreeMap<Key, PiState>> = Mutex::new(BTreeMap::new());
/// Held across the kernel's read-check-write of a PI word and the state
/// change that goes with it (never across a sleep). Taken before
/// PI_STATES.
static PI_OPS: Mutex<()> = Mutex::new(());
/// PI waiters sleep here; each checks its own `granted` flag.
static PI_QUEUE: WaitQueue = WaitQueue::new();

/// The priority a waiter lends: its real-time priority (fair tasks lend
/// none).
fn lent_priority(task: &Task) -> u32 {
    task.effective_rt_priority().unwrap_or(0)
}

/// Gives `owner` the highest priority its PI futexes' waiters lend.
fn update_boost(owner: Pid) {
    let Some(task) = pid::find(owner) else { return };
    let boost = without_interrupts(|| {
        PI_STATES
            .lock()
            .values()
            .filter(|s| s.owner == owner)
            .flat_map(|s| s.waiters.iter())
            .map(|w| lent_priority(&w.task))
            .max()
            .unwrap_or(0)
    });
    crate::sched::set_boost(&task, boost);
}

/// The futex's owner: the word's if that thread lives; else, while a
/// dead owner's futex is being handed over (the word not yet rewritten),
/// the waiter it went to; else the word's (0, or a thread that is gone).
fn owner_of(word: u32, key: Key) -> Pid {
    let in_word = word & FUTEX_TID_MASK;
    if in_word != 0 && pid::find(in_word).is_some() {
        return in_word;
    }
    let handed = without_interrupts(|| PI_STATES.lock().get(&key).map(|s| s.owner));
    handed.filter(|&owner| owner != in_word && pid::find(owner).is_some()).unwrap_or(in_word)
}

/// Takes the futex if it is free: Ok(true) taken, Ok(false) held by
/// another, EDEADLK when the caller holds it. Under PI_OPS.
fn try_take(uaddr: u64, key: Key, me: Pid) -> Result<bool, Errno> {
    let mut word: u32 = read_user(uaddr)?;
    loop {
        let owner = owner_of(word, key);
        if owner == me {
            return Err(Errno::EDEADLK);
        }
        if owner != 0 {
            return Ok(false);
        }
        let waiting = without_interrupts(|| PI_STATES.lock().get(&key).is_some_and(|s| !s.waiters.is_empty()));
        let waiters_bit = if waiting { FUTEX_WAITERS } else { 0 };
        let found = compare_exchange_user(uaddr, word, me | waiters_bit | (word & FUTEX_OWNER_DIED))?;
        if found != word {
            // A thread changed it meanwhile: look again.
            word = found;
            continue;
        }
        if waiting {
            without_interrupts(|| PI_STATES.lock().get_mut(&key).map(|s| s.owner = me));
        }
        return Ok(true);
    }
}

/// Marks the futex contended for the caller about to wait, and joins its
/// waiters: Ok(Some(owner)); Ok(None) when it turned out free and was
/// taken. Under PI_OPS.
fn join_waiters(uaddr: u64, key: Key, waiter: &Arc<PiWaiter>) -> Result<Option<Pid>, Errno> {
    loop {
        if try_take(uaddr, key, waiter.task.pid)? {
            return Ok(None);
        }
        let word: u32 = read_user(uaddr)?;
        let owner = owner_of(word, key);
        if owner == 0 {
            continue;
        }
        // The owner may unlock from user mode until the bit is set.
        if compare_exchange_user(uaddr, word, word | FUTEX_WAITERS)? != word {
            continue;
        }
        if pid::find(owner).is_none() {
            // An owner that does not exist: the word is left marked
            // contended, as Linux leaves it.
            return Err(Errno::ESRCH);
        }
        without_interrupts(|| {
            let mut states = PI_STATES.lock();
            let state = states.entry(key).or_insert_with(|| PiState { owner, waiters: Vec::new() });
            state.owner = owner;
            state.waiters.push(waiter.clone());
        });
        return Ok(Some(owner));
    }
}

pub fn lock_pi(uaddr: u64, private: bool, timeout: u64, realtime: bool, trylock: bool) -> Result<usize, Errno> {
    let key = key_of(uaddr, private)?;
    let me = current();
    if trylock {
        let _ops = PI_OPS.lock();
        return if try_take(uaddr, key, me.pid)? { Ok(0) } else { Err(Errno::EAGAIN) };
    }
    let deadline = deadline(timeout, true, realtime)?;
    let waiter =
        Arc::new(PiWaiter { task: me.clone(), granted: AtomicBool::new(false), owner_died: AtomicBool::new(false) });
    let joined = {
        let _ops = PI_OPS.lock();
        join_waiters(uaddr, key, &waiter)?
    };
    let Some(owner) = joined else { return Ok(0) };
    update_boost(owner);
    let result = wait_with_deadline(&PI_QUEUE, deadline, || waiter.granted.load(Ordering::Acquire).then_some(()));
    if waiter.granted.load(Ordering::Acquire) {
        if waiter.owner_died.load(Ordering::Acquire) {
            // As Linux: marked, and left contended so that the unlock
            // comes to the kernel.
            let _ops = PI_OPS.lock();
            write_user(uaddr, &(me.pid | FUTEX_WAITERS | FUTEX_OWNER_DIED))?;
            without_interrupts(|| {
                let mut states = PI_STATES.lock();
                if states.get(&key).is_some_and(|s| s.waiters.is_empty()) {
                    states.remove(&key);
                }
            });
        }
        return Ok(0);
    }
    // Timed out or interrupted: no longer a waiter.
    let ops = PI_OPS.lock();
    if waiter.granted.load(Ordering::Acquire) {
        // Handed over just now, after the wait ended.
        return Ok(0);
    }
    let owner = without_interrupts(|| {
        let mut states = PI_STATES.lock();
        let state = states.get_mut(&key)?;
        state.waiters.retain(|w| !Arc::ptr_eq(w, &waiter));
        let owner = state.owner;
        if state.waiters.is_empty() {
            states.remove(&key);
        }
        Some(owner)
    });
    drop(ops);
    if let Some(owner) = owner {
        update_boost(owner);
    }
    match result {
        Ok(_) => Err(Errno::ETIMEDOUT),
        // A signal: the lock is tried again after the handler.
        Err(_) => Err(Errno::ERESTARTNOINTR),
    }
}

/// The waiter an unlock hands the futex to: the highest priority, first
/// come among equals. `waiters` is not empty.
fn best_waiter(waiters: &[Arc<PiWaiter>]) -> usize {
    (0..waiters.len()).max_by_key(|&i| (lent_priority(&waiters[i].task), usize::MAX - i)).unwrap_or(0)
}

pub fn unlock_pi(uaddr: u64, private: bool) -> Result<usize, Errno> {
    let key = key_of(uaddr, private)?;
    let me = current().pid;
    let ops = PI_OPS.lock();
    let word: u32 = read_user(uaddr)?;
    if word & FUTEX_TID_MASK != me {
        return Err(Errno::EPERM);
    }
    // The highest-priority waiter, first come among equals, gets the futex.
    let next = without_interrupts(|| {
        let mut states = PI_STATES.lock();
        let state = states.get_mut(&key)?;
        if state.waiters.is_empty() {
            states.remove(&key);
            return None;
        }
        let waiter = state.waiters.remove(best_waiter(&state.waiters));
        let more = !state.waiters.is_empty();
        state.owner = waiter.task.pid;
        if !more {
            states.remove(&key);
        }
        Some((waiter, more))
    });
    // Only the owner changes an owned word from user mode (the others'
    // compare-and-exchange expects it free), so it holds `word` still,
    // but for a waiter's FUTEX_WAITERS: exchange until it is ours.
    let replace = |new: u32| -> Result<(), Errno> {
        let mut current = word;
        loop {
            match compare_exchange_user(uaddr, current, new)? {
                found if found == current => return Ok(()),
                found => current = found,
            }
        }
    };
    match next {
        Some((waiter, more)) => {
            let waiters_bit = if more { FUTEX_WAITERS } else { 0 };
            replace(waiter.task.pid | waiters_bit)?;
            waiter.granted.store(true, Ordering::Release);
            drop(ops);
            update_boost(me);
            update_boost(waiter.task.pid);
            PI_QUEUE.wake_all();
        }
        None => replace(0)?,
    }
    Ok(0)
}

/// A thread exits: each PI futex it owns and others wait for goes to its
/// best waiter, as an unlock would, marked FUTEX_OWNER_DIED.
pub fn exit_handover(tid: Pid) {
    let ops = PI_OPS.lock();
    let handed: Vec<Arc<PiWaiter>> = without_interrupts(|| {
        let mut states = PI_STATES.lock();
        let mut handed = Vec::new();
        for state in states.values_mut().filter(|s| s.owner == tid && !s.waiters.is_empty()) {
            let waiter = state.waiters.remove(best_waiter(&state.waiters));
            state.owner = waiter.task.pid;
            handed.push(waiter);
        }
        states.retain(|_, s| !s.waiters.is_empty() || handed.iter().any(|w| w.task.pid == s.owner));
        handed
    });
    if handed.is_empty() {
        return;
    }
    for waiter in &handed {
        waiter.owner_died.store(true, Ordering::Release);
        waiter.granted.store(true, Ordering::Release);
    }
    drop(ops);
    for waiter in &handed {
        update_boost(waiter.task.pid);
    }
    PI_QUEUE.wake_all();
}
