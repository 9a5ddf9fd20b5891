//! Round-trip statistics of one probe: min, mean, median, max, jitter and loss.

use pantau_proto::body::net::ProbeResult;

/// Fill the statistics of `r` from `sent` attempts and the RTTs (ms) of the replies, in the
/// order the requests were sent.
pub fn fill(r: &mut ProbeResult, sent: u32, rtts: &[f64]) {
    r.sent = sent;
    r.received = rtts.len() as u32;
    r.loss_pct = if sent == 0 {
        100.0
    } else {
        100.0 * f64::from(sent - r.received.min(sent)) / f64::from(sent)
    };
    if rtts.is_empty() {
        return;
    }
    let mut sorted = rtts.to_vec();
    sorted.sort_by(f64::total_cmp);
    let n = sorted.len();
    r.rtt_min_ms = Some(sorted[0]);
    r.rtt_max_ms = Some(sorted[n - 1]);
    r.rtt_avg_ms = Some(sorted.iter().sum::<f64>() / n as f64);
    r.rtt_median_ms = Some(if n % 2 == 1 {
        sorted[n / 2]
    } else {
        (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0
    });
    r.jitter_ms = (n >= 2)
        .then(|| rtts.windows(2).map(|w| (w[1] - w[0]).abs()).sum::<f64>() / (n - 1) as f64);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_jitter_and_loss() {
        let mut r = ProbeResult::default();
        fill(&mut r, 5, &[10.0, 14.0, 12.0, 20.0]);
        assert_eq!((r.sent, r.received), (5, 4));
        assert_eq!(r.loss_pct, 20.0);
        assert_eq!(r.rtt_min_ms, Some(10.0));
        assert_eq!(r.rtt_max_ms, Some(20.0));
        assert_eq!(r.rtt_avg_ms, Some(14.0));
        assert_eq!(r.rtt_median_ms, Some(13.0));
        // |14-10| + |12-14| + |20-12| = 14 over 3 differences.
        assert!((r.jitter_ms.unwrap() - 14.0 / 3.0).abs() < 1e-9);

        let mut odd = ProbeResult::default();
        fill(&mut odd, 3, &[3.0, 1.0, 2.0]);
        assert_eq!(odd.rtt_median_ms, Some(2.0));
        assert_eq!(odd.loss_pct, 0.0);
    }

    #[test]
    fn nothing_back() {
        let mut r = ProbeResult::default();
        fill(&mut r, 4, &[]);
        assert_eq!(r.loss_pct, 100.0);
        assert_eq!(r.rtt_avg_ms, None);
        assert_eq!(r.jitter_ms, None);

        let mut one = ProbeResult::default();
        fill(&mut one, 1, &[7.5]);
        assert_eq!(one.rtt_median_ms, Some(7.5));
        assert_eq!(one.jitter_ms, None);
    }
}
