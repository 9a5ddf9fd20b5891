//! What every Pantau program does the same way as a service: log to stderr with a level set
//! by `PANTAU_LOG`, and stop cleanly on SIGTERM (systemd), Ctrl-C, or the Windows service's
//! Stop control.

/// Log to stderr (journald picks it up). `PANTAU_LOG` overrides `default`, e.g. `debug`.
pub fn init_logging(default: &str) {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("PANTAU_LOG")
                .unwrap_or_else(|_| default.into()),
        )
        .with_writer(std::io::stderr)
        .init();
}

/// Resolves when the process is asked to stop.
pub async fn stop_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let mut term = signal(SignalKind::terminate()).expect("SIGTERM handler");
        tokio::select! {
            _ = term.recv() => {}
            _ = tokio::signal::ctrl_c() => {}
        }
    }
    #[cfg(windows)]
    {
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = STOP.notified() => {}
        }
    }
    #[cfg(not(any(unix, windows)))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// Windows: `pantau-agent service run` under the Service Control Manager (the windows-service
/// crate). UNTESTED: there is no Windows toolchain where Pantau is built and tested, so this
/// has never been compiled; install/install-agent.ps1 registers it (docs/operations.md).
#[cfg(windows)]
pub mod windows {
    use std::ffi::OsString;
    use std::sync::Mutex;
    use std::time::Duration;
    use windows_service::service::{
        ServiceControl, ServiceControlAccept, ServiceExitCode, ServiceState, ServiceStatus,
        ServiceType,
    };
    use windows_service::service_control_handler::{self, ServiceControlHandlerResult};
    use windows_service::{define_windows_service, service_dispatcher};

    /// The service's name, as install-agent.ps1 creates it.
    pub const SERVICE_NAME: &str = "PantauAgent";

    type Agent = Box<dyn FnOnce() -> anyhow::Result<()> + Send>;
    static AGENT: Mutex<Option<Agent>> = Mutex::new(None);

    /// Hand the process to the Service Control Manager, which runs `agent` (the same code as
    /// `pantau-agent run`) until it asks the service to stop.
    pub fn dispatch(agent: Agent) -> anyhow::Result<()> {
        *AGENT.lock().expect("agent slot") = Some(agent);
        service_dispatcher::start(SERVICE_NAME, ffi_service_main)?;
        Ok(())
    }

    define_windows_service!(ffi_service_main, service_main);

    fn service_main(_args: Vec<OsString>) {
        if let Err(e) = run_service() {
            tracing::error!("service failed: {e:#}");
        }
    }

    fn status(state: ServiceState, accept: ServiceControlAccept, code: u32) -> ServiceStatus {
        ServiceStatus {
            service_type: ServiceType::OWN_PROCESS,
            current_state: state,
            controls_accepted: accept,
            exit_code: ServiceExitCode::Win32(code),
            checkpoint: 0,
            wait_hint: Duration::from_secs(10),
            process_id: None,
        }
    }

    fn run_service() -> anyhow::Result<()> {
        let handle = service_control_handler::register(SERVICE_NAME, |control| match control {
            ServiceControl::Stop | ServiceControl::Shutdown => {
                // What SIGTERM is on Linux: stop_signal() resolves.
                super::STOP.notify_one();
                ServiceControlHandlerResult::NoError
            }
            ServiceControl::Interrogate => ServiceControlHandlerResult::NoError,
            _ => ServiceControlHandlerResult::NotImplemented,
        })?;
        handle.set_service_status(status(
            ServiceState::Running,
            ServiceControlAccept::STOP | ServiceControlAccept::SHUTDOWN,
            0,
        ))?;
        let agent = AGENT.lock().expect("agent slot").take();
        let result = agent.map(|run| run()).unwrap_or(Ok(()));
        let code = if result.is_ok() { 0 } else { 1 };
        handle.set_service_status(status(
            ServiceState::Stopped,
            ServiceControlAccept::empty(),
            code,
        ))?;
        result
    }
}

/// Raised by the Windows service's Stop control.
#[cfg(windows)]
static STOP: tokio::sync::Notify = tokio::sync::Notify::const_new();
