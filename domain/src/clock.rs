//! The legal clocks of the petition workflow (《信访工作条例》), kept as data in one table
//! so that every screen, reminder and report reads the same limits, and a county with
//! stricter local limits changes them in one place. Each clock starts at a recorded
//! event, never at "now".

use serde::{Deserialize, Serialize};

/// The step a clock limits. The name is also the i18n key (`clock.<name>`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClockStep {
    RegisterAndRoute,
    NotifyReceipt,
    ObjectToRouting,
    Reply,
    Extension,
    RequestReview,
    DecideReview,
    RequestReReview,
    DecideReReview,
}

/// The recorded event a clock counts from. The name is also the i18n key (`event.<name>`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClockEvent {
    Receipt,
    RoutedReceipt,
    Acceptance,
    ReplyDelivered,
    ReviewRequest,
    ReviewDelivered,
    ReReviewRequest,
    OriginalDeadline,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DayKind {
    Calendar,
    /// Needs the holiday calendar (public holidays and 调休 working weekends).
    Working,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Clock {
    pub step: ClockStep,
    pub days: u16,
    pub day_kind: DayKind,
    pub starts_at: ClockEvent,
    /// The article of the regulations, e.g. "34".
    pub article: &'static str,
}

/// The statutory limits, in the order a petition meets them.
pub const STATUTORY_CLOCKS: [Clock; 9] = [
    clock(
        ClockStep::RegisterAndRoute,
        15,
        DayKind::Calendar,
        ClockEvent::Receipt,
        "22",
    ),
    clock(
        ClockStep::NotifyReceipt,
        15,
        DayKind::Calendar,
        ClockEvent::Receipt,
        "23",
    ),
    clock(
        ClockStep::ObjectToRouting,
        5,
        DayKind::Working,
        ClockEvent::RoutedReceipt,
        "23",
    ),
    clock(
        ClockStep::Reply,
        60,
        DayKind::Calendar,
        ClockEvent::Acceptance,
        "34",
    ),
    clock(
        ClockStep::Extension,
        30,
        DayKind::Calendar,
        ClockEvent::OriginalDeadline,
        "34",
    ),
    clock(
        ClockStep::RequestReview,
        30,
        DayKind::Calendar,
        ClockEvent::ReplyDelivered,
        "35",
    ),
    clock(
        ClockStep::DecideReview,
        30,
        DayKind::Calendar,
        ClockEvent::ReviewRequest,
        "35",
    ),
    clock(
        ClockStep::RequestReReview,
        30,
        DayKind::Calendar,
        ClockEvent::ReviewDelivered,
        "36",
    ),
    clock(
        ClockStep::DecideReReview,
        30,
        DayKind::Calendar,
        ClockEvent::ReReviewRequest,
        "36",
    ),
];

const fn clock(
    step: ClockStep,
    days: u16,
    day_kind: DayKind,
    starts_at: ClockEvent,
    article: &'static str,
) -> Clock {
    Clock {
        step,
        days,
        day_kind,
        starts_at,
        article,
    }
}

/// The clock for a step.
pub fn statutory(step: ClockStep) -> Clock {
    // Every step has exactly one row; the table test below holds that.
    match STATUTORY_CLOCKS.iter().find(|c| c.step == step) {
        Some(c) => *c,
        None => unreachable!("every ClockStep has a row in STATUTORY_CLOCKS"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_step_has_exactly_one_clock() {
        for c in STATUTORY_CLOCKS {
            assert_eq!(
                STATUTORY_CLOCKS.iter().filter(|o| o.step == c.step).count(),
                1,
                "{:?}",
                c.step
            );
        }
    }

    #[test]
    fn the_limits_are_those_of_the_regulations() {
        assert_eq!(statutory(ClockStep::RegisterAndRoute).days, 15);
        let reply = statutory(ClockStep::Reply);
        assert_eq!(
            (reply.days, reply.starts_at, reply.article),
            (60, ClockEvent::Acceptance, "34")
        );
        let objection = statutory(ClockStep::ObjectToRouting);
        assert_eq!((objection.days, objection.day_kind), (5, DayKind::Working));
        assert_eq!(statutory(ClockStep::Extension).days, 30);
        assert_eq!(statutory(ClockStep::DecideReReview).article, "36");
    }
}
