//! Scheduling policies and their arithmetic, as Linux defines them: the
//! classes (SCHED_OTHER, SCHED_BATCH and SCHED_IDLE share fairly by
//! virtual runtime; SCHED_FIFO and SCHED_RR run by priority ahead of
//! them), the nice-to-weight table, and the time constants.

/// A task's policy (the numbers are Linux's).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Policy {
    Normal = 0,
    Fifo = 1,
    Rr = 2,
    Batch = 3,
    Idle = 5,
}

impl Policy {
    pub fn from_raw(raw: i32) -> Option<Policy> {
        match raw {
            0 => Some(Policy::Normal),
            1 => Some(Policy::Fifo),
            2 => Some(Policy::Rr),
            3 => Some(Policy::Batch),
            5 => Some(Policy::Idle),
            _ => None,
        }
    }

    pub fn is_realtime(self) -> bool {
        matches!(self, Policy::Fifo | Policy::Rr)
    }

    /// sched_get_priority_min/max: 1..99 for the real-time policies, 0 for
    /// the others.
    pub fn priority_range(self) -> (u32, u32) {
        if self.is_realtime() {
            (1, 99)
        } else {
            (0, 0)
        }
    }
}

/// Linux's sched_prio_to_weight: nice -20 to 19; nice 0 is 1024, and each
/// step is about 1.25 times the next, so that one nice level is about 10%
/// of CPU time between two tasks.
const PRIO_TO_WEIGHT: [u64; 40] = [
    88761, 71755, 56483, 46273, 36291, 29154, 23254, 18705, 14949, 11916, 9548, 7620, 6100, 4904, 3906, 3121, 2501,
    1991, 1586, 1277, 1024, 820, 655, 526, 423, 335, 272, 215, 172, 137, 110, 87, 70, 56, 45, 36, 29, 23, 18, 15,
];

/// SCHED_IDLE's weight (Linux's WEIGHT_IDLEPRIO): less than nice 19.
const WEIGHT_IDLE: u64 = 3;

pub const NICE_MIN: i32 = -20;
pub const NICE_MAX: i32 = 19;
pub const NICE_0_WEIGHT: u64 = 1024;

/// The weight of a fair task.
pub fn weight(policy: Policy, nice: i32) -> u64 {
    if policy == Policy::Idle {
        return WEIGHT_IDLE;
    }
    PRIO_TO_WEIGHT[(nice.clamp(NICE_MIN, NICE_MAX) - NICE_MIN) as usize]
}

/// Virtual runtime for `ns` of CPU time at `weight`: time scaled by how
/// much lighter than nice 0 the task is.
pub fn vruntime_delta(ns: u64, weight: u64) -> u64 {
    ns.saturating_mul(NICE_0_WEIGHT) / weight.max(1)
}

/// The period in which every runnable fair task runs once (Linux's
/// sysctl_sched_latency for one CPU), and the shortest slice.
pub const SCHED_LATENCY_NS: u64 = 6_000_000;
pub const MIN_GRANULARITY_NS: u64 = 750_000;

/// A fair task's share of the latency period: its weight's part of the
/// queue's total, never below the minimum granularity.
pub fn ideal_slice(weight: u64, total_weight: u64) -> u64 {
    (SCHED_LATENCY_NS.saturating_mul(weight) / total_weight.max(1)).max(MIN_GRANULARITY_NS)
}

/// SCHED_RR's quantum (Linux's RR_TIMESLICE, 100 ms).
pub const RR_TIMESLICE_NS: u64 = 100_000_000;

/// Real-time throttling (sched_rt_runtime_us / sched_rt_period_us): real-
/// time tasks may use 950 ms of each second, so a runaway one leaves the
/// rest to the others.
pub const RT_PERIOD_NS: u64 = 1_000_000_000;
pub const RT_RUNTIME_NS: u64 = 950_000_000;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nice_zero_weighs_1024_and_a_step_is_a_quarter() {
        assert_eq!(weight(Policy::Normal, 0), 1024);
        for nice in NICE_MIN..NICE_MAX {
            let ratio = weight(Policy::Normal, nice) as f64 / weight(Policy::Normal, nice + 1) as f64;
            assert!((1.2..1.3).contains(&ratio), "nice {nice}: {ratio}");
        }
    }

    #[test]
    fn nice_0_against_nice_10_is_about_9_to_1() {
        let ratio = weight(Policy::Normal, 0) as f64 / weight(Policy::Normal, 10) as f64;
        assert!((9.2..9.4).contains(&ratio), "{ratio}");
    }

    #[test]
    fn out_of_range_nice_clamps_and_sched_idle_is_lightest() {
        assert_eq!(weight(Policy::Batch, -40), weight(Policy::Batch, -20));
        assert_eq!(weight(Policy::Normal, 99), 15);
        assert!(weight(Policy::Idle, -20) < weight(Policy::Normal, 19));
    }

    #[test]
    fn a_light_task_ages_faster_and_slices_share_the_latency() {
        assert_eq!(vruntime_delta(1_000_000, 1024), 1_000_000);
        assert_eq!(vruntime_delta(1_000_000, 110), 9_309_090);
        assert_eq!(ideal_slice(1024, 2048), 3_000_000);
        assert_eq!(ideal_slice(110, 1024 + 110), MIN_GRANULARITY_NS);
    }

    #[test]
    fn priority_ranges_are_linuxs() {
        assert_eq!(Policy::Fifo.priority_range(), (1, 99));
        assert_eq!(Policy::Rr.priority_range(), (1, 99));
        assert_eq!(Policy::Idle.priority_range(), (0, 0));
        assert_eq!(Policy::from_raw(4), None, "SCHED_ISO is not Linux's");
        assert_eq!(Policy::from_raw(6), None);
    }
}
