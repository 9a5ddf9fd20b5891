//! Stub replaced by the readers branch.
use pantau_proto::body::Sample;
#[derive(Debug, Clone, Default)]
pub struct MetricsOptions {
    pub top_processes: usize,
}
pub struct MetricsCollector;
impl MetricsCollector {
    pub fn new(_root: std::path::PathBuf, _o: MetricsOptions) -> Self {
        MetricsCollector
    }
    pub fn sample(&mut self) -> Sample {
        Sample::default()
    }
}
