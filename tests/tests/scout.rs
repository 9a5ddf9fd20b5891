//! `pantau-agent scan` on a real (namespaced) Ethernet LAN: every responder found with its
//! own MAC, a host that never answers ARP but talks is heard passively, and the scout's own
//! address is never reported.

use pantau_tests::netns::Lan;
use std::process::Stdio;
use std::time::Duration;

#[test]
fn scan_finds_every_host_on_a_namespaced_lan() {
    let Some(lan) = Lan::build(5) else {
        return;
    };
    // Host 5 answers no ARP request (arp_ignore=8) but asks for an absent neighbour while the
    // sweep runs: the scout can only know it from listening.
    let quiet = &lan.hosts[4];
    let out = lan
        .exec(&quiet.ns, "sysctl")
        .args(["-qw", "net.ipv4.conf.all.arp_ignore=8"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let scan = lan
        .exec(
            &lan.scout_ns,
            pantau_tests::bin("pantau-agent").to_str().unwrap(),
        )
        .args([
            "scan",
            "--interface",
            &lan.scout_if,
            "--rate",
            "200",
            "--json",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(300));
    let o = lan.scout_ip.octets();
    let absent = std::net::Ipv4Addr::new(o[0], o[1], o[2], 250);
    pantau_tests::netns::in_ns(&quiet.ns, move || {
        // Any datagram to an unknown neighbour makes the kernel ask for it by ARP.
        let sock = std::net::UdpSocket::bind("0.0.0.0:0").unwrap();
        let _ = sock.send_to(b"anyone?", (absent, 9));
    });
    let out = scan.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "scan failed: {stderr}");
    let report: pantau_proto::body::DiscoveryReport =
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {stderr}"));

    assert_eq!(report.subnets.len(), 1, "{report:?}");
    let subnet = &report.subnets[0];
    assert_eq!(subnet.interface, "s0");
    let o = lan.scout_ip.octets();
    assert_eq!(subnet.cidr, format!("{}.{}.{}.0/24", o[0], o[1], o[2]));
    assert_eq!(subnet.probed, 253, "a /24 less network, broadcast and us");

    for host in &lan.hosts {
        let seen = report
            .devices
            .iter()
            .find(|d| d.ip == host.ip.to_string())
            .unwrap_or_else(|| panic!("{} not found: {report:#?}", host.ip));
        assert_eq!(seen.mac, host.mac, "{seen:?}");
        assert_eq!(seen.interface, "s0");
        assert!(seen.first_seen.is_some() && seen.last_seen >= seen.first_seen);
        if std::ptr::eq(host, quiet) {
            assert!(!seen.active && seen.passive, "heard only: {seen:?}");
        } else {
            assert!(seen.active, "answered the sweep: {seen:?}");
        }
    }
    assert_eq!(report.devices.len(), lan.hosts.len(), "{report:#?}");
    assert!(
        report
            .devices
            .iter()
            .all(|d| d.ip != lan.scout_ip.to_string() && d.mac != lan.scout_mac),
        "reported itself: {report:#?}"
    );
}

#[test]
fn scan_without_a_usable_interface_fails_clearly() {
    let out = std::process::Command::new(pantau_tests::bin("pantau-agent"))
        .args(["scan", "--interface", "no-such-if0"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("no-such-if0: no such interface"),
        "{stderr}"
    );
}
