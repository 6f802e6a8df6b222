//! The protocol states and why an instance moved between them.

use std::fmt;

/// RFC 5798 §6.4 states plus keepalived's FAULT: an instance whose
/// interface or an unweighted tracker is down takes no part in elections
/// (it ignores adverts and sends none) until the fault clears.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum State {
    Initialize,
    Backup,
    Master,
    Fault,
}

impl State {
    /// keepalived's numeric state, used in its JSON/state dumps.
    pub const fn keepalived_number(self) -> u8 {
        match self {
            State::Initialize => 0,
            State::Backup => 1,
            State::Master => 2,
            State::Fault => 3,
        }
    }
}

impl fmt::Display for State {
    /// The spelling keepalived uses in logs and notify scripts.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            State::Initialize => "INIT",
            State::Backup => "BACKUP",
            State::Master => "MASTER",
            State::Fault => "FAULT",
        })
    }
}

/// Why a transition happened, so logs and notifications can say more than
/// "state changed".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StateChangeReason {
    /// Normal start-up into BACKUP.
    Startup,
    /// Address owner (priority 255) configured MASTER: straight to MASTER.
    OwnerStartup,
    /// No advert from a master within Master_Down_Interval (including the
    /// shortened start-up timer of a non-owner configured `state MASTER`).
    MasterDownTimerExpired,
    /// The master resigned with a priority-0 advert and Skew_Time elapsed.
    PriorityZeroReceived,
    /// The down timer ran out while we were ignoring a lower-priority master:
    /// we preempted it.
    PreemptLowerPriority,
    /// A MASTER heard a higher-priority advert.
    HigherPriorityAdvert,
    /// A MASTER heard an equal-priority advert from a higher source address.
    EqualPriorityHigherAddress,
    /// The daemon stopped the instance.
    Shutdown,
    /// The daemon reported a fault (interface or unweighted tracker down).
    Fault,
    /// Every fault cleared.
    FaultCleared,
    /// The daemon's sync-group logic moved the instance
    /// ([`super::Input::SyncMaster`] / [`super::Input::SyncBackup`]).
    SyncGroup,
}

impl fmt::Display for StateChangeReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            StateChangeReason::Startup => "startup",
            StateChangeReason::OwnerStartup => "address owner startup",
            StateChangeReason::MasterDownTimerExpired => "master down timer expired",
            StateChangeReason::PriorityZeroReceived => "master resigned (priority 0 advert)",
            StateChangeReason::PreemptLowerPriority => "preempting lower priority master",
            StateChangeReason::HigherPriorityAdvert => "received higher priority advert",
            StateChangeReason::EqualPriorityHigherAddress => {
                "received equal priority advert from higher address"
            }
            StateChangeReason::Shutdown => "shutdown",
            StateChangeReason::Fault => "fault (interface or tracker down)",
            StateChangeReason::FaultCleared => "fault cleared",
            StateChangeReason::SyncGroup => "sync group",
        })
    }
}
