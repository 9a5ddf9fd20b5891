//! The agent is a guest on someone's PC: it must not open a listening socket.

use pantau_tests::{Agent, AgentOptions, Collector, Mosquitto};

/// Socket inodes of a process, from its open file descriptors.
fn socket_inodes(pid: u32) -> Vec<String> {
    let mut out = Vec::new();
    for fd in std::fs::read_dir(format!("/proc/{pid}/fd"))
        .expect("read fds")
        .flatten()
    {
        if let Ok(target) = std::fs::read_link(fd.path()) {
            let t = target.to_string_lossy().into_owned();
            if let Some(inode) = t.strip_prefix("socket:[").and_then(|r| r.strip_suffix(']')) {
                out.push(inode.to_owned());
            }
        }
    }
    out
}

/// Inodes of listening TCP sockets and bound UDP sockets on this machine.
fn listening_inodes() -> Vec<String> {
    let mut out = Vec::new();
    for (file, listen_state) in [
        ("/proc/net/tcp", Some("0A")),
        ("/proc/net/tcp6", Some("0A")),
        ("/proc/net/udp", None),
        ("/proc/net/udp6", None),
    ] {
        let text = std::fs::read_to_string(file).unwrap_or_default();
        for line in text.lines().skip(1) {
            let f: Vec<&str> = line.split_whitespace().collect();
            if f.len() > 9 && listen_state.is_none_or(|s| f[3] == s) {
                out.push(f[9].to_owned());
            }
        }
    }
    out
}

#[test]
fn the_agent_opens_no_listening_socket() {
    let broker = Mosquitto::start();
    let mut collector = Collector::start(&broker);
    let agent = Agent::spawn(&collector, &broker, "e2e-guest", &AgentOptions::default());
    collector.wait_ingest("e2e-guest", "received 3 messages", |i| i.messages >= 3);
    let pid = agent.pid().expect("agent running");
    let mine = socket_inodes(pid);
    assert!(
        !mine.is_empty(),
        "the agent should hold its MQTT connection"
    );
    let listening = listening_inodes();
    let open: Vec<_> = mine.iter().filter(|i| listening.contains(i)).collect();
    assert!(
        open.is_empty(),
        "pantau-agent (pid {pid}) listens on sockets {open:?}"
    );
    // The check itself can see a listener: the broker's port is among the listening ones.
    let tcp = std::fs::read_to_string("/proc/net/tcp").unwrap_or_default();
    let port_hex = format!(":{:04X}", broker.port());
    assert!(
        tcp.lines().any(|l| l
            .split_whitespace()
            .nth(1)
            .is_some_and(|a| a.ends_with(&port_hex))
            && l.split_whitespace().nth(3) == Some("0A")),
        "the listener check does not see the broker's listening socket"
    );
}
