//! Latency figures: nearest-rank percentiles over every request's time.

use std::time::Duration;

#[derive(Debug, Clone, Copy, Default)]
pub struct Latency {
    pub count: usize,
    pub median: Duration,
    pub p90: Duration,
    pub p99: Duration,
    pub max: Duration,
}

impl Latency {
    pub fn of(times: &[Duration]) -> Self {
        if times.is_empty() {
            return Self::default();
        }
        let mut sorted = times.to_vec();
        sorted.sort_unstable();
        Self {
            count: sorted.len(),
            median: rank(&sorted, 0.50),
            p90: rank(&sorted, 0.90),
            p99: rank(&sorted, 0.99),
            max: sorted[sorted.len() - 1],
        }
    }
}

/// The nearest-rank percentile: the smallest time at least `q` of the requests took.
fn rank(sorted: &[Duration], q: f64) -> Duration {
    let n = sorted.len();
    let r = ((q * n as f64).ceil() as usize).clamp(1, n);
    sorted[r - 1]
}

pub fn ms(d: Duration) -> String {
    format!("{:.1}", d.as_secs_f64() * 1000.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_are_nearest_rank() {
        let times: Vec<Duration> = (1..=100).map(Duration::from_millis).collect();
        let l = Latency::of(&times);
        assert_eq!(l.count, 100);
        assert_eq!(l.median, Duration::from_millis(50));
        assert_eq!(l.p90, Duration::from_millis(90));
        assert_eq!(l.p99, Duration::from_millis(99));
        assert_eq!(l.max, Duration::from_millis(100));
        assert_eq!(
            Latency::of(&[Duration::from_millis(7)]).p99,
            Duration::from_millis(7)
        );
    }
}
