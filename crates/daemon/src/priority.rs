//! keepalived's effective priority, kept incrementally (reference §3.4,
//! §3.5): one place that combines every tracker an instance uses.
//!
//! - Up/down trackers (interface, script, process, BFD-like): with `m` = −1
//!   for `reverse`, else +1, a weight W > 0 adds W·m while up, W < 0 adds
//!   W·m while down, and W = 0 means FAULT while down (while up with
//!   `reverse`).
//! - `track_file`: `status = value × W × m`, clamped to [−254, 253];
//!   `status ≤ −254` ⇒ FAULT, otherwise `status` is added. With W = 0 a
//!   non-zero value ⇒ FAULT (with `reverse`, a zero value ⇒ FAULT).
//! - The effective priority is `base + Σ contributions` clamped to 1..=254;
//!   an owner (base 255) stays 255 and ignores weighted trackers, while its
//!   unweighted trackers still cause FAULT.
//!
//! Each tracker's current contribution and fault flag are stored, so an
//! event replaces the tracker's old effect with its new one: repeating an
//! event changes nothing, and the fault counter is always exactly the number
//! of trackers whose flag is set (it can never underflow). The running sum is
//! an `i64`: each contribution is within ±254, so no realistic number of
//! trackers can overflow it (and it saturates rather than wraps anyway).

// The engine uses the incremental subset (`add_tracker`, `set`, `effective`,
// `faulted`); the rest of the API is what the unit and property tests check
// the model through.
#![cfg_attr(not(test), allow(dead_code))]

use std::fmt;

/// The kinds of tracker an instance can use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TrackerKind {
    Interface,
    Script,
    Process,
    /// `track_file`: driven by a value, not up/down.
    File,
}

impl TrackerKind {
    /// Whether the tracker is driven by [`PriorityState::set_file_value`]
    /// rather than [`PriorityState::set_up`].
    pub fn is_value_based(self) -> bool {
        self == TrackerKind::File
    }
}

/// A tracker weight, always within −254..=254.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct Weight(i16);

impl Weight {
    pub const MIN: i16 = -254;
    pub const MAX: i16 = 254;
    pub const ZERO: Weight = Weight(0);

    /// `None` outside −254..=254.
    pub fn new(w: i64) -> Option<Weight> {
        let w = i16::try_from(w).ok()?;
        (Self::MIN..=Self::MAX).contains(&w).then_some(Weight(w))
    }

    /// Clamps into −254..=254.
    pub fn saturating(w: i64) -> Weight {
        let c = w.clamp(i64::from(Self::MIN), i64::from(Self::MAX));
        // In range by the clamp.
        Weight(i16::try_from(c).unwrap_or(0))
    }

    pub fn get(self) -> i16 {
        self.0
    }
}

/// How one instance uses one tracker.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TrackerSpec {
    pub kind: TrackerKind,
    pub weight: Weight,
    pub reverse: bool,
}

impl TrackerSpec {
    pub fn new(kind: TrackerKind, weight: Weight, reverse: bool) -> TrackerSpec {
        TrackerSpec {
            kind,
            weight,
            reverse,
        }
    }
}

/// A tracker's current input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TrackerInput {
    /// Interface up, script OK, process quorum, …
    Up(bool),
    /// A `track_file`'s value (`strtol`; a missing or empty file is 0).
    Value(i64),
}

/// One tracker's effect on the instance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Effect {
    /// Added to the base priority (within ±254).
    pub delta: i16,
    /// The tracker puts the instance in FAULT.
    pub fault: bool,
}

/// The effect of `input` on a tracker used as `spec` by an instance whose
/// base priority is (`owner`) or is not 255. An input of the wrong kind
/// (a value for an up/down tracker or vice versa) is read as: up ⇔ value
/// non-zero, value = 1 if up else 0.
pub fn effect(spec: TrackerSpec, input: TrackerInput, owner: bool) -> Effect {
    let w = i64::from(spec.weight.get());
    let m: i64 = if spec.reverse { -1 } else { 1 };
    let delta = |d: i64| -> i16 {
        // Every caller passes a value within ±254.
        i16::try_from(d.clamp(-254, 254)).unwrap_or(0)
    };
    if spec.kind.is_value_based() {
        let value = match input {
            TrackerInput::Value(v) => v,
            TrackerInput::Up(up) => i64::from(up),
        };
        if w == 0 {
            return Effect {
                delta: 0,
                fault: (value != 0) != spec.reverse,
            };
        }
        if owner {
            // Weighted trackers are removed from an owner.
            return Effect::default();
        }
        let status = value.saturating_mul(w).saturating_mul(m).clamp(-254, 253);
        if status <= -254 {
            Effect {
                delta: 0,
                fault: true,
            }
        } else {
            Effect {
                delta: delta(status),
                fault: false,
            }
        }
    } else {
        let up = match input {
            TrackerInput::Up(up) => up,
            TrackerInput::Value(v) => v != 0,
        };
        if w == 0 {
            return Effect {
                delta: 0,
                fault: up == spec.reverse,
            };
        }
        if owner {
            return Effect::default();
        }
        let applies = if w > 0 { up } else { !up };
        Effect {
            delta: if applies { delta(w * m) } else { 0 },
            fault: false,
        }
    }
}

/// Identifies a tracker within one [`PriorityState`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TrackerId(pub usize);

/// Misuse of a [`PriorityState`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PriorityError {
    UnknownTracker(TrackerId),
    /// `set_up` on a `track_file`, or `set_file_value` on an up/down tracker.
    WrongKind(TrackerId, TrackerKind),
}

impl fmt::Display for PriorityError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PriorityError::UnknownTracker(id) => write!(f, "unknown tracker {}", id.0),
            PriorityError::WrongKind(id, kind) => {
                write!(f, "tracker {} is a {kind:?} tracker", id.0)
            }
        }
    }
}

impl std::error::Error for PriorityError {}

#[derive(Debug, Clone, Copy)]
struct Slot {
    spec: TrackerSpec,
    input: TrackerInput,
    effect: Effect,
}

/// One instance's effective priority and tracker FAULT count, updated one
/// tracker event at a time.
#[derive(Debug, Clone)]
pub struct PriorityState {
    base: u8,
    slots: Vec<Slot>,
    /// Σ of every slot's `effect.delta`.
    sum: i64,
    /// Number of slots whose `effect.fault` is set.
    faults: usize,
}

impl PriorityState {
    pub fn new(base: u8) -> PriorityState {
        PriorityState {
            base,
            slots: Vec::new(),
            sum: 0,
            faults: 0,
        }
    }

    /// An address owner (base 255): its priority never moves.
    pub fn is_owner(&self) -> bool {
        self.base == 255
    }

    /// Adds a tracker in its initial state.
    pub fn add_tracker(&mut self, spec: TrackerSpec, initial: TrackerInput) -> TrackerId {
        let effect = effect(spec, initial, self.is_owner());
        self.sum = self.sum.saturating_add(i64::from(effect.delta));
        if effect.fault {
            self.faults = self.faults.saturating_add(1);
        }
        self.slots.push(Slot {
            spec,
            input: initial,
            effect,
        });
        TrackerId(self.slots.len() - 1)
    }

    pub fn input(&self, id: TrackerId) -> Option<TrackerInput> {
        self.slots.get(id.0).map(|s| s.input)
    }

    /// An up/down tracker changed (or re-reported) its state.
    pub fn set_up(&mut self, id: TrackerId, up: bool) -> Result<(), PriorityError> {
        let kind = self.kind(id)?;
        if kind.is_value_based() {
            return Err(PriorityError::WrongKind(id, kind));
        }
        self.set(id, TrackerInput::Up(up))
    }

    /// A `track_file` read a new value.
    pub fn set_file_value(&mut self, id: TrackerId, value: i64) -> Result<(), PriorityError> {
        let kind = self.kind(id)?;
        if !kind.is_value_based() {
            return Err(PriorityError::WrongKind(id, kind));
        }
        self.set(id, TrackerInput::Value(value))
    }

    /// Sets a tracker's input (of either kind; see [`effect`]).
    pub fn set(&mut self, id: TrackerId, input: TrackerInput) -> Result<(), PriorityError> {
        let owner = self.is_owner();
        let slot = self
            .slots
            .get_mut(id.0)
            .ok_or(PriorityError::UnknownTracker(id))?;
        let new = effect(slot.spec, input, owner);
        let old = slot.effect;
        slot.input = input;
        slot.effect = new;
        self.sum = self
            .sum
            .saturating_sub(i64::from(old.delta))
            .saturating_add(i64::from(new.delta));
        match (old.fault, new.fault) {
            // The slot was counted, so the count is at least 1.
            (true, false) => self.faults = self.faults.saturating_sub(1),
            (false, true) => self.faults = self.faults.saturating_add(1),
            _ => {}
        }
        Ok(())
    }

    fn kind(&self, id: TrackerId) -> Result<TrackerKind, PriorityError> {
        self.slots
            .get(id.0)
            .map(|s| s.spec.kind)
            .ok_or(PriorityError::UnknownTracker(id))
    }

    /// Σ of the trackers' contributions (not clamped).
    pub fn total_delta(&self) -> i64 {
        self.sum
    }

    /// The effective priority: 255 for an owner, otherwise
    /// `base + Σ contributions` clamped to 1..=254.
    pub fn effective(&self) -> u8 {
        if self.is_owner() {
            return 255;
        }
        let total = i64::from(self.base).saturating_add(self.sum).clamp(1, 254);
        u8::try_from(total).unwrap_or(1)
    }

    /// Number of trackers currently putting the instance in FAULT.
    pub fn fault_count(&self) -> usize {
        self.faults
    }

    /// Whether any tracker puts the instance in FAULT.
    pub fn faulted(&self) -> bool {
        self.faults > 0
    }

    /// Recomputes (Σ, fault count) from every tracker's input, ignoring the
    /// running totals.
    pub fn recompute(&self) -> (i64, usize) {
        let owner = self.is_owner();
        self.slots.iter().fold((0i64, 0usize), |(sum, faults), s| {
            let e = effect(s.spec, s.input, owner);
            (
                sum.saturating_add(i64::from(e.delta)),
                faults + usize::from(e.fault),
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn w(x: i64) -> Weight {
        Weight::new(x).expect("weight in range")
    }

    fn one(
        base: u8,
        kind: TrackerKind,
        weight: i64,
        reverse: bool,
        input: TrackerInput,
    ) -> PriorityState {
        let mut s = PriorityState::new(base);
        s.add_tracker(TrackerSpec::new(kind, w(weight), reverse), input);
        s
    }

    fn up(base: u8, weight: i64, reverse: bool, is_up: bool) -> (u8, bool) {
        let s = one(
            base,
            TrackerKind::Script,
            weight,
            reverse,
            TrackerInput::Up(is_up),
        );
        (s.effective(), s.faulted())
    }

    fn file(base: u8, weight: i64, reverse: bool, value: i64) -> (u8, bool) {
        let s = one(
            base,
            TrackerKind::File,
            weight,
            reverse,
            TrackerInput::Value(value),
        );
        (s.effective(), s.faulted())
    }

    #[test]
    fn weight_range() {
        assert_eq!(Weight::new(254).map(Weight::get), Some(254));
        assert_eq!(Weight::new(-254).map(Weight::get), Some(-254));
        assert_eq!(Weight::new(255), None);
        assert_eq!(Weight::new(-255), None);
        assert_eq!(Weight::new(i64::MIN), None);
        assert_eq!(Weight::saturating(1000).get(), 254);
        assert_eq!(Weight::saturating(i64::MIN).get(), -254);
    }

    #[test]
    fn positive_and_negative_weights() {
        assert_eq!(up(100, 20, false, true), (120, false));
        assert_eq!(up(100, 20, false, false), (100, false));
        assert_eq!(up(150, -60, false, true), (150, false));
        assert_eq!(up(150, -60, false, false), (90, false));
    }

    #[test]
    fn reverse_flips_the_sign() {
        assert_eq!(up(100, 20, true, true), (80, false));
        assert_eq!(up(100, 20, true, false), (100, false));
        assert_eq!(up(100, -20, true, true), (100, false));
        assert_eq!(up(100, -20, true, false), (120, false));
    }

    #[test]
    fn every_up_down_kind_follows_the_table() {
        for kind in [
            TrackerKind::Interface,
            TrackerKind::Script,
            TrackerKind::Process,
        ] {
            let mut s = PriorityState::new(100);
            let a = s.add_tracker(
                TrackerSpec::new(kind, w(10), false),
                TrackerInput::Up(false),
            );
            let b = s.add_tracker(
                TrackerSpec::new(kind, w(-30), false),
                TrackerInput::Up(true),
            );
            assert_eq!(s.effective(), 100);
            s.set_up(a, true).expect("up/down tracker");
            assert_eq!(s.effective(), 110);
            s.set_up(b, false).expect("up/down tracker");
            assert_eq!(s.effective(), 80);
            assert!(s.set_file_value(a, 1).is_err());
        }
    }

    #[test]
    fn clamped_at_both_ends() {
        assert_eq!(up(250, 50, false, true), (254, false));
        assert_eq!(up(10, -50, false, false), (1, false));
        assert_eq!(up(1, -254, false, false), (1, false));
        assert_eq!(up(254, 254, false, true), (254, false));
        // Several trackers: the clamp applies to the total only.
        let mut s = PriorityState::new(200);
        let a = s.add_tracker(
            TrackerSpec::new(TrackerKind::Interface, w(100), false),
            TrackerInput::Up(true),
        );
        let b = s.add_tracker(
            TrackerSpec::new(TrackerKind::Interface, w(-100), false),
            TrackerInput::Up(true),
        );
        assert_eq!(s.effective(), 254);
        s.set_up(b, false).expect("known tracker");
        assert_eq!(s.effective(), 200);
        s.set_up(a, false).expect("known tracker");
        assert_eq!(s.effective(), 100);
    }

    #[test]
    fn thousand_trackers_at_minus_254_do_not_wrap() {
        let mut s = PriorityState::new(200);
        let ids: Vec<_> = (0..1000)
            .map(|_| {
                s.add_tracker(
                    TrackerSpec::new(TrackerKind::Process, w(-254), false),
                    TrackerInput::Up(true),
                )
            })
            .collect();
        for &id in &ids {
            s.set_up(id, false).expect("known tracker");
        }
        assert_eq!(s.total_delta(), -254_000);
        assert_eq!(s.effective(), 1);
        assert!(!s.faulted());
        // And the other way, with reverse: a large positive total.
        let mut r = PriorityState::new(1);
        for _ in 0..1000 {
            r.add_tracker(
                TrackerSpec::new(TrackerKind::Process, w(-254), true),
                TrackerInput::Up(false),
            );
        }
        assert_eq!(r.total_delta(), 254_000);
        assert_eq!(r.effective(), 254);
        for &id in &ids {
            s.set_up(id, true).expect("known tracker");
        }
        assert_eq!(s.total_delta(), 0);
        assert_eq!(s.effective(), 200);
    }

    #[test]
    fn owner_ignores_weighted_trackers_but_not_unweighted() {
        assert_eq!(up(255, -50, false, false), (255, false));
        assert_eq!(up(255, 50, true, true), (255, false));
        assert_eq!(up(255, 0, false, false), (255, true));
        assert_eq!(up(255, 0, false, true), (255, false));
        assert_eq!(up(255, 0, true, true), (255, true));
        assert_eq!(file(255, 10, false, -100), (255, false));
        assert_eq!(file(255, 254, false, -1), (255, false));
        assert_eq!(file(255, 0, false, 3), (255, true));
        assert_eq!(file(255, 0, true, 0), (255, true));
    }

    #[test]
    fn weight_zero_fault_counting() {
        let mut s = PriorityState::new(100);
        let spec = TrackerSpec::new(TrackerKind::Interface, Weight::ZERO, false);
        let rev = TrackerSpec::new(TrackerKind::Script, Weight::ZERO, true);
        let a = s.add_tracker(spec, TrackerInput::Up(true));
        let b = s.add_tracker(spec, TrackerInput::Up(true));
        let c = s.add_tracker(rev, TrackerInput::Up(false));
        let f = s.add_tracker(
            TrackerSpec::new(TrackerKind::File, Weight::ZERO, false),
            TrackerInput::Value(0),
        );
        assert_eq!((s.fault_count(), s.faulted()), (0, false));
        s.set_up(a, false).expect("known");
        assert_eq!(s.fault_count(), 1);
        s.set_up(b, false).expect("known");
        assert_eq!(s.fault_count(), 2);
        s.set_up(c, true).expect("known");
        assert_eq!(s.fault_count(), 3);
        s.set_file_value(f, 7).expect("known");
        assert_eq!(s.fault_count(), 4);
        // One tracker recovering is not enough.
        s.set_up(a, true).expect("known");
        assert_eq!((s.fault_count(), s.faulted()), (3, true));
        s.set_up(b, true).expect("known");
        s.set_up(c, false).expect("known");
        assert_eq!((s.fault_count(), s.faulted()), (1, true));
        s.set_file_value(f, 0).expect("known");
        assert_eq!((s.fault_count(), s.faulted()), (0, false));
        // Unweighted trackers never move the priority.
        assert_eq!(s.effective(), 100);
    }

    #[test]
    fn repeated_events_are_idempotent() {
        let mut s = PriorityState::new(100);
        let f0 = s.add_tracker(
            TrackerSpec::new(TrackerKind::Process, Weight::ZERO, false),
            TrackerInput::Up(true),
        );
        let n = s.add_tracker(
            TrackerSpec::new(TrackerKind::Process, w(-10), false),
            TrackerInput::Up(true),
        );
        let p = s.add_tracker(
            TrackerSpec::new(TrackerKind::Interface, w(5), false),
            TrackerInput::Up(false),
        );
        let file_id = s.add_tracker(
            TrackerSpec::new(TrackerKind::File, w(3), false),
            TrackerInput::Value(0),
        );
        for _ in 0..5 {
            s.set_up(f0, false).expect("known");
            s.set_up(n, false).expect("known");
            s.set_up(p, true).expect("known");
            s.set_file_value(file_id, 2).expect("known");
        }
        assert_eq!((s.effective(), s.fault_count()), (101, 1));
        for _ in 0..5 {
            s.set_up(f0, true).expect("known");
            s.set_up(n, true).expect("known");
            s.set_up(p, false).expect("known");
            s.set_file_value(file_id, 0).expect("known");
        }
        assert_eq!((s.effective(), s.fault_count()), (100, 0));
    }

    #[test]
    fn track_file_values() {
        // status = value × W × m, added.
        assert_eq!(file(100, 1, false, 0), (100, false));
        assert_eq!(file(100, 1, false, 20), (120, false));
        assert_eq!(file(100, 1, false, -20), (80, false));
        assert_eq!(file(100, 5, false, 3), (115, false));
        assert_eq!(file(100, -5, false, 3), (85, false));
        assert_eq!(file(100, 5, true, 3), (85, false));
        assert_eq!(file(100, -5, true, 3), (115, false));
        // Clamped to 253 above (then the priority clamp).
        assert_eq!(file(1, 1, false, 1000), (254, false));
        let s = one(1, TrackerKind::File, 1, false, TrackerInput::Value(1000));
        assert_eq!(s.total_delta(), 253);
        // −253 is not FAULT; −254 and below are.
        assert_eq!(file(254, 1, false, -253), (1, false));
        assert_eq!(file(100, 1, false, -254), (100, true));
        assert_eq!(file(100, 1, false, -100_000), (100, true));
        assert_eq!(file(100, 1, true, 254), (100, true));
        // Weight ±254: a value of −1 (or +1 with −254 / reverse) forces FAULT.
        assert_eq!(file(100, 254, false, -1), (100, true));
        assert_eq!(file(100, -254, false, 1), (100, true));
        assert_eq!(file(100, 254, true, 1), (100, true));
        assert_eq!(file(100, 254, false, 1), (254, false));
        assert_eq!(file(100, -254, true, 1), (254, false));
        // Huge values saturate instead of overflowing.
        assert_eq!(file(100, 254, false, i64::MAX), (254, false));
        assert_eq!(file(100, 254, false, i64::MIN), (100, true));
        assert_eq!(file(100, -254, true, i64::MIN), (100, true));
        // W = 0: a non-zero value is FAULT; with reverse, zero is.
        assert_eq!(file(100, 0, false, 0), (100, false));
        assert_eq!(file(100, 0, false, 1), (100, true));
        assert_eq!(file(100, 0, false, -1), (100, true));
        assert_eq!(file(100, 0, true, 0), (100, true));
        assert_eq!(file(100, 0, true, 5), (100, false));
        // set_up is refused on a file tracker.
        let mut s = one(100, TrackerKind::File, 1, false, TrackerInput::Value(0));
        assert_eq!(
            s.set_up(TrackerId(0), true),
            Err(PriorityError::WrongKind(TrackerId(0), TrackerKind::File))
        );
        assert_eq!(
            s.set_up(TrackerId(9), true),
            Err(PriorityError::UnknownTracker(TrackerId(9)))
        );
    }

    #[test]
    fn file_fault_then_recovery_restores_contribution() {
        let mut s = one(100, TrackerKind::File, 10, false, TrackerInput::Value(2));
        assert_eq!((s.effective(), s.faulted()), (120, false));
        s.set_file_value(TrackerId(0), -30).expect("known");
        assert_eq!((s.effective(), s.faulted()), (100, true));
        s.set_file_value(TrackerId(0), -3).expect("known");
        assert_eq!((s.effective(), s.faulted()), (70, false));
        s.set_file_value(TrackerId(0), 2).expect("known");
        assert_eq!((s.effective(), s.faulted()), (120, false));
    }

    // ---- property tests ------------------------------------------------

    /// keepalived's table written out directly, independent of `effect`.
    fn reference(base: u8, trackers: &[(TrackerSpec, TrackerInput)]) -> (u8, usize) {
        let owner = base == 255;
        let mut total = i64::from(base);
        let mut faults = 0;
        for (spec, input) in trackers {
            let wt = i64::from(spec.weight.get());
            let m = if spec.reverse { -1 } else { 1 };
            match (spec.kind, *input) {
                (TrackerKind::File, TrackerInput::Value(v)) => {
                    if wt == 0 {
                        if (v != 0) != spec.reverse {
                            faults += 1;
                        }
                    } else if !owner {
                        let st = i128::from(v) * i128::from(wt) * i128::from(m);
                        let st = st.clamp(-254, 253);
                        if st <= -254 {
                            faults += 1;
                        } else {
                            total += i64::try_from(st).expect("clamped");
                        }
                    }
                }
                (k, TrackerInput::Up(u)) if k != TrackerKind::File => {
                    if wt == 0 {
                        if u == spec.reverse {
                            faults += 1;
                        }
                    } else if !owner && ((wt > 0 && u) || (wt < 0 && !u)) {
                        total += wt * m;
                    }
                }
                _ => panic!("generator mixed input kinds"),
            }
        }
        let prio = if owner {
            255
        } else {
            u8::try_from(total.clamp(1, 254)).expect("clamped")
        };
        (prio, faults)
    }

    fn kind() -> impl Strategy<Value = TrackerKind> {
        prop_oneof![
            Just(TrackerKind::Interface),
            Just(TrackerKind::Script),
            Just(TrackerKind::Process),
            Just(TrackerKind::File),
        ]
    }

    fn weight() -> impl Strategy<Value = Weight> {
        prop_oneof![
            Just(0i64),
            Just(254),
            Just(-254),
            Just(1),
            Just(-1),
            -254i64..=254,
        ]
        .prop_map(Weight::saturating)
    }

    fn value() -> impl Strategy<Value = i64> {
        prop_oneof![Just(0i64), Just(1), Just(-1), -300i64..=300, any::<i64>(),]
    }

    fn input_for(kind: TrackerKind) -> BoxedStrategy<TrackerInput> {
        if kind.is_value_based() {
            value().prop_map(TrackerInput::Value).boxed()
        } else {
            any::<bool>().prop_map(TrackerInput::Up).boxed()
        }
    }

    fn tracker() -> impl Strategy<Value = (TrackerSpec, TrackerInput)> {
        (kind(), weight(), any::<bool>())
            .prop_flat_map(|(k, wt, rev)| (Just(TrackerSpec::new(k, wt, rev)), input_for(k)))
    }

    fn base() -> impl Strategy<Value = u8> {
        prop_oneof![Just(255u8), Just(1), Just(254), 1u8..=255]
    }

    /// Trackers plus a sequence of (tracker index, new input) events.
    type Scenario = (
        u8,
        Vec<(TrackerSpec, TrackerInput)>,
        Vec<(usize, TrackerInput)>,
    );

    fn scenario() -> impl Strategy<Value = Scenario> {
        (base(), prop::collection::vec(tracker(), 1..12)).prop_flat_map(|(b, trackers)| {
            let kinds: Vec<TrackerKind> = trackers.iter().map(|(s, _)| s.kind).collect();
            let n = kinds.len();
            let event = (0..n).prop_flat_map(move |i| {
                let k = kinds.get(i).copied().unwrap_or(TrackerKind::Process);
                (Just(i), input_for(k))
            });
            (Just(b), Just(trackers), prop::collection::vec(event, 0..60))
        })
    }

    fn apply(s: &mut PriorityState, id: TrackerId, input: TrackerInput) {
        let r = match input {
            TrackerInput::Up(u) => s.set_up(id, u),
            TrackerInput::Value(v) => s.set_file_value(id, v),
        };
        assert_eq!(r, Ok(()));
    }

    fn build_state(b: u8, trackers: &[(TrackerSpec, TrackerInput)]) -> PriorityState {
        let mut s = PriorityState::new(b);
        for (spec, input) in trackers {
            s.add_tracker(*spec, *input);
        }
        s
    }

    proptest! {
        #[test]
        fn events_then_their_reversal_restore_the_initial_verdict(
            (b, trackers, events) in scenario()
        ) {
            let mut s = build_state(b, &trackers);
            let initial = (s.effective(), s.fault_count());
            let mut undo = Vec::with_capacity(events.len());
            for &(i, input) in &events {
                let id = TrackerId(i);
                let before = s.input(id).expect("known tracker");
                undo.push((id, before));
                apply(&mut s, id, input);
            }
            for &(id, before) in undo.iter().rev() {
                apply(&mut s, id, before);
            }
            prop_assert_eq!((s.effective(), s.fault_count()), initial);
            prop_assert_eq!(s.faulted(), initial.1 > 0);
        }

        #[test]
        fn from_neutral_start_reversal_returns_to_base(
            (b, trackers, events) in scenario()
        ) {
            // Every tracker starts contributing nothing and not in FAULT.
            let neutral: Vec<_> = trackers
                .iter()
                .map(|(spec, _)| {
                    let input = match spec.kind {
                        TrackerKind::File => TrackerInput::Value(i64::from(
                            spec.weight == Weight::ZERO && spec.reverse,
                        )),
                        _ => TrackerInput::Up(if spec.weight.get() == 0 {
                            !spec.reverse
                        } else {
                            spec.weight.get() < 0
                        }),
                    };
                    (*spec, input)
                })
                .collect();
            let mut s = build_state(b, &neutral);
            prop_assert_eq!(s.effective(), b.max(1));
            prop_assert!(!s.faulted());
            let mut undo = Vec::new();
            for &(i, input) in &events {
                let id = TrackerId(i);
                undo.push((id, s.input(id).expect("known tracker")));
                apply(&mut s, id, input);
            }
            for &(id, before) in undo.iter().rev() {
                apply(&mut s, id, before);
            }
            prop_assert_eq!(s.effective(), b.max(1));
            prop_assert_eq!(s.total_delta(), 0);
            prop_assert!(!s.faulted());
        }

        #[test]
        fn incremental_matches_recomputation_after_every_event(
            (b, trackers, events) in scenario()
        ) {
            let mut s = build_state(b, &trackers);
            let mut current = trackers.clone();
            prop_assert_eq!((s.effective(), s.fault_count()), reference(b, &current));
            for &(i, input) in &events {
                apply(&mut s, TrackerId(i), input);
                if let Some(slot) = current.get_mut(i) {
                    slot.1 = input;
                }
                prop_assert_eq!((s.effective(), s.fault_count()), reference(b, &current));
                prop_assert_eq!((s.total_delta(), s.fault_count()), s.recompute());
            }
        }
    }
}
