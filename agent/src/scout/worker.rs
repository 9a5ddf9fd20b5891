//! One subnet on one interface: a raw ARP socket, a thread that listens on it for as long as
//! the scout runs, and the paced sweep that sends requests through it.
//!
//! The socket is an `AF_PACKET`/`SOCK_RAW` socket bound to the ARP EtherType, handed to
//! pnet's channel: the kernel passes only ARP frames up, so the listener does not wake for
//! the host's ordinary traffic, while sends are still whole Ethernet frames.

use super::iface::Target;
use super::{arp, table::Table};
use pnet_datalink::{Channel, DataLinkSender, NetworkInterface};
use std::io;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// How often the listener looks up from its socket to see whether it should stop.
const READ_TIMEOUT: Duration = Duration::from_millis(250);
const ETH_P_ARP: u16 = 0x0806;

pub struct Worker {
    pub target: Target,
    tx: Mutex<Box<dyn DataLinkSender>>,
    sweeping: Arc<AtomicBool>,
    stop: Arc<AtomicBool>,
    listener: Option<JoinHandle<()>>,
}

impl Worker {
    /// Open the raw socket on `ni` and start listening. Fails with `PermissionDenied` without
    /// CAP_NET_RAW.
    pub fn open(
        target: Target,
        ni: &NetworkInterface,
        table: Arc<Mutex<Table>>,
    ) -> io::Result<Worker> {
        // SAFETY: plain socket(2) call; the descriptor is owned by pnet's channel from here on
        // (it closes it on error and on drop).
        let fd = unsafe {
            libc::socket(
                libc::AF_PACKET,
                libc::SOCK_RAW | libc::SOCK_CLOEXEC,
                i32::from(ETH_P_ARP.to_be()),
            )
        };
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        let config = pnet_datalink::Config {
            write_buffer_size: arp::FRAME_LEN,
            read_buffer_size: 2048,
            read_timeout: Some(READ_TIMEOUT),
            write_timeout: Some(Duration::from_secs(1)),
            // Binds the socket to the ARP EtherType (SOCK_RAW is kept: frames stay whole).
            channel_type: pnet_datalink::ChannelType::Layer3(ETH_P_ARP),
            promiscuous: false,
            socket_fd: Some(fd),
            ..Default::default()
        };
        let (tx, mut rx) = match pnet_datalink::channel(ni, config)? {
            Channel::Ethernet(tx, rx) => (tx, rx),
            _ => return Err(io::Error::other("not an Ethernet channel")),
        };
        let sweeping = Arc::new(AtomicBool::new(false));
        let stop = Arc::new(AtomicBool::new(false));
        let listener = {
            let (target, sweeping, stop) = (target.clone(), sweeping.clone(), stop.clone());
            std::thread::Builder::new()
                .name(format!("scout-{}", target.interface))
                .stack_size(64 * 1024)
                .spawn(move || {
                    let mut warned = false;
                    while !stop.load(Ordering::Relaxed) {
                        match rx.next() {
                            Ok(frame) => {
                                if let Some(a) = arp::parse(frame) {
                                    note(&target, &a, sweeping.load(Ordering::Relaxed), &table);
                                }
                            }
                            Err(e) if e.kind() == io::ErrorKind::TimedOut => {}
                            Err(e) => {
                                if !warned {
                                    tracing::warn!(interface = %target.interface, "scout: reading ARP: {e}");
                                    warned = true;
                                }
                                std::thread::sleep(Duration::from_secs(1));
                            }
                        }
                    }
                })?
        };
        Ok(Worker {
            target,
            tx: Mutex::new(tx),
            sweeping,
            stop,
            listener: Some(listener),
        })
    }

    /// Ask every address of the subnet, `rate_per_s` requests a second, until done or `cancel`
    /// is set. Replies count as active from now until [`Worker::end_sweep`]. Returns how many
    /// requests went out.
    pub fn sweep(&self, rate_per_s: u32, cancel: &AtomicBool) -> u32 {
        self.sweeping.store(true, Ordering::Relaxed);
        let gap = Duration::from_secs(1) / rate_per_s.max(1);
        let start = Instant::now();
        let mut tx = self.tx.lock().expect("sender lock");
        let mut sent = 0u32;
        let mut warned = false;
        for (i, ip) in self.target.hosts().enumerate() {
            if cancel.load(Ordering::Relaxed) {
                break;
            }
            let due = start + gap * i as u32;
            if let Some(wait) = due.checked_duration_since(Instant::now()) {
                std::thread::sleep(wait);
            }
            let frame = arp::request(self.target.mac, self.target.ip, ip);
            let result = tx.send_to(&frame, None).unwrap_or_else(|| Err(too_large()));
            match result {
                Ok(()) => sent += 1,
                Err(e) if !warned => {
                    tracing::warn!(interface = %self.target.interface, "scout: sending ARP: {e}");
                    warned = true;
                }
                Err(_) => {}
            }
        }
        sent
    }

    pub fn end_sweep(&self) {
        self.sweeping.store(false, Ordering::Relaxed);
    }
}

fn too_large() -> io::Error {
    io::Error::other("frame too large for the send buffer")
}

impl Drop for Worker {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.listener.take() {
            let _ = t.join();
        }
    }
}

/// Record what one ARP frame tells about its sender.
fn note(target: &Target, a: &arp::Arp, sweeping: bool, table: &Mutex<Table>) {
    if a.sender_ip.is_unspecified()
        || a.sender_ip == target.ip
        || a.sender_mac == target.mac
        || !target.contains(a.sender_ip)
    {
        // Address probes (0.0.0.0), ourselves, and other subnets sharing the wire.
        return;
    }
    let active = sweeping && a.reply && a.target_ip == target.ip && a.target_mac == target.mac;
    table.lock().expect("table lock").observe(
        &target.interface,
        a.sender_ip,
        a.sender_mac,
        chrono::Utc::now(),
        active,
    );
}
