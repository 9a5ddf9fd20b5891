//! The Debian packages: built with cargo-deb from the already built (dev profile) binaries,
//! installed with dpkg into a throwaway root, and checked there: files and modes, the system
//! users the maintainer scripts create, conffiles, the units (systemd-analyze verify), the
//! installed binaries running, and the one-line install script passing a token through.
//!
//! Why `dpkg --root DIR --force-script-chrootless` rather than debootstrap and chroot: a
//! debootstrap'ed system costs minutes and hundreds of MB per run, and the maintainer
//! scripts are written to honour `$DPKG_ROOT` anyway (Debian's own way for chrootless
//! installs), creating users with `systemd-sysusers --root`. `--force-depends`: the root
//! holds no libc6 package to satisfy `Depends` (its files are not needed to check ours; the
//! binaries run from the host's libraries).

use pantau_tests::bin;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::Command;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("workspace root")
        .to_owned()
}

/// stdout of `cmd`, or a panic with everything it said.
fn run(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    let (o, e) = (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    );
    assert!(out.status.success(), "{cmd:?} failed:\n{o}\n{e}");
    o
}

fn tool(name: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {name}")])
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Build `package`'s .deb into `out` from the binaries the tests run (no new build).
fn build_deb(package: &str, out: &Path) -> PathBuf {
    // target/debug/pantau-agent → target
    let target = bin("pantau-agent")
        .parent()
        .and_then(Path::parent)
        .expect("target dir")
        .to_owned();
    let profile = bin("pantau-agent")
        .parent()
        .and_then(Path::file_name)
        .expect("profile dir")
        .to_string_lossy()
        .into_owned();
    let profile = if profile == "debug" {
        "dev".to_owned()
    } else {
        profile
    };
    let stdout = run(Command::new("cargo")
        .current_dir(repo())
        .env("CARGO_TARGET_DIR", &target)
        .args([
            "deb",
            "--no-build",
            "--fast",
            "--strip",
            "--no-dbgsym",
            "-p",
            package,
        ])
        .args(["--profile", &profile, "--output"])
        .arg(out));
    let deb = PathBuf::from(
        stdout
            .lines()
            .last()
            .expect("cargo deb prints the file")
            .trim(),
    );
    assert!(deb.is_file(), "cargo deb said {stdout}");
    deb
}

/// An empty root that dpkg and systemd-sysusers can work in.
fn throwaway_root(dir: &Path) -> PathBuf {
    let root = dir.join("root");
    for d in [
        "etc",
        "var/lib/dpkg/info",
        "var/lib/dpkg/updates",
        "var/lib/dpkg/triggers",
    ] {
        std::fs::create_dir_all(root.join(d)).unwrap();
    }
    for f in ["var/lib/dpkg/status", "var/lib/dpkg/available"] {
        std::fs::write(root.join(f), "").unwrap();
    }
    std::fs::write(root.join("etc/passwd"), "root:x:0:0:root:/root:/bin/sh\n").unwrap();
    std::fs::write(root.join("etc/group"), "root:x:0:\n").unwrap();
    std::fs::write(root.join("etc/shadow"), "root:*:20000:0:99999:7:::\n").unwrap();
    std::fs::write(root.join("etc/gshadow"), "root:*::\n").unwrap();
    root
}

fn dpkg(root: &Path) -> Command {
    let mut c = Command::new("dpkg");
    c.arg(format!("--root={}", root.display())).args([
        "--force-script-chrootless",
        "--force-depends",
        "--log=/dev/null",
    ]);
    c
}

/// (uid, gid, shell) of `user` in the root's /etc/passwd.
fn user(root: &Path, name: &str) -> Option<(u32, u32, String)> {
    let text = std::fs::read_to_string(root.join("etc/passwd")).unwrap();
    text.lines().find_map(|l| {
        let f: Vec<&str> = l.split(':').collect();
        (f.first() == Some(&name)).then(|| {
            (
                f[2].parse().unwrap(),
                f[3].parse().unwrap(),
                f[6].to_owned(),
            )
        })
    })
}

/// (mode & 0o7777, uid, gid) of a path in the root.
fn stat(root: &Path, path: &str) -> (u32, u32, u32) {
    let p = root.join(path.trim_start_matches('/'));
    let m = std::fs::metadata(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    (m.permissions().mode() & 0o7777, m.uid(), m.gid())
}

fn skip_reason() -> Option<&'static str> {
    if unsafe { libc::geteuid() } != 0 {
        return Some("not root: dpkg cannot set owners in the throwaway root");
    }
    if !Command::new("cargo")
        .args(["deb", "--version"])
        .output()
        .is_ok_and(|o| o.status.success())
    {
        return Some(
            "cargo-deb is not installed (.ci/run installs it: cargo install cargo-deb --locked)",
        );
    }
    if !tool("dpkg") || !tool("systemd-sysusers") {
        return Some("dpkg or systemd-sysusers missing (.ci/run installs systemd)");
    }
    None
}

#[test]
fn debs_install_into_a_throwaway_root_with_users_units_and_working_binaries() {
    if let Some(why) = skip_reason() {
        eprintln!("SKIPPED: {why}");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let agent_deb = build_deb("pantau-agent", dir.path());
    let collector_deb = build_deb("pantau-collector", dir.path());
    let root = throwaway_root(dir.path());
    run(dpkg(&root).arg("-i").arg(&agent_deb).arg(&collector_deb));

    // dpkg's own record: both installed, the collector's config a conffile.
    let status = run(Command::new("dpkg-query")
        .arg(format!("--root={}", root.display()))
        .args([
            "-W",
            "-f=${Package} ${Status}\\n",
            "pantau-agent",
            "pantau-collector",
        ]));
    assert_eq!(
        status,
        "pantau-agent install ok installed\npantau-collector install ok installed\n"
    );
    let conffiles = run(Command::new("dpkg-query")
        .arg(format!("--root={}", root.display()))
        .args(["-W", "-f=${Conffiles}", "pantau-collector"]));
    assert!(
        conffiles.contains("/etc/pantau/collector.toml"),
        "{conffiles}"
    );

    // The system users, made in the root, not on this machine.
    let (agent_uid, agent_gid, shell) = user(&root, "pantau-agent").expect("user pantau-agent");
    assert!(
        agent_uid > 0 && agent_uid < 1000,
        "a system uid: {agent_uid}"
    );
    assert_eq!(shell, "/usr/sbin/nologin");
    let (uid, gid, shell) = user(&root, "pantau").expect("user pantau");
    assert!(
        uid > 0 && uid < 1000 && uid != agent_uid,
        "a system uid: {uid}"
    );
    assert_eq!(shell, "/usr/sbin/nologin");

    // Files, modes, owners.
    let want = [
        ("/usr/bin/pantau-agent", 0o755, 0, 0),
        ("/usr/bin/pantau-collector", 0o755, 0, 0),
        ("/usr/lib/pantau/pantau-smart-scan.sh", 0o755, 0, 0),
        ("/etc/pantau/collector.toml", 0o640, 0, gid),
        ("/var/lib/pantau", 0o750, uid, gid),
        ("/var/lib/pantau-agent", 0o700, agent_uid, agent_gid),
        ("/usr/lib/sysusers.d/pantau-agent.conf", 0o644, 0, 0),
        ("/usr/share/pantau/install-agent.sh", 0o755, 0, 0),
    ];
    for (path, mode, u, g) in want {
        assert_eq!(stat(&root, path), (mode, u, g), "{path}: (mode, uid, gid)");
    }
    // The units are the files in install/, not copies that could drift.
    for unit in [
        "pantau-agent.service",
        "pantau-smart.service",
        "pantau-smart.timer",
        "pantau-collector.service",
    ] {
        let installed = std::fs::read(root.join("lib/systemd/system").join(unit)).unwrap();
        let source = std::fs::read(repo().join("install").join(unit)).unwrap();
        assert_eq!(installed, source, "{unit} differs from install/{unit}");
        assert_eq!(stat(&root, &format!("/lib/systemd/system/{unit}")).0, 0o644);
    }
    let collector_unit =
        std::fs::read_to_string(root.join("lib/systemd/system/pantau-collector.service")).unwrap();
    for line in [
        "User=pantau",
        "NoNewPrivileges=yes",
        "ProtectSystem=strict",
        "ProtectHome=yes",
        "PrivateTmp=yes",
        "CapabilityBoundingSet=\n",
    ] {
        assert!(
            collector_unit.contains(line),
            "collector unit lacks {line:?}"
        );
    }

    // systemd's own check of the units, against the root's files (binaries included). The
    // root has no systemd package: the host's targets and slices stand in for it.
    if tool("systemd-analyze") {
        for e in std::fs::read_dir("/lib/systemd/system").unwrap().flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            let dest = root.join("lib/systemd/system").join(&name);
            if (name.ends_with(".target") || name.ends_with(".slice")) && !dest.exists() {
                std::fs::copy(e.path(), dest).unwrap();
            }
        }
        let out = Command::new("systemd-analyze")
            .arg(format!("--root={}", root.display()))
            .args(["verify", "--man=no"])
            .args([
                "/lib/systemd/system/pantau-agent.service",
                "/lib/systemd/system/pantau-collector.service",
                "/lib/systemd/system/pantau-smart.service",
                "/lib/systemd/system/pantau-smart.timer",
            ])
            .output()
            .unwrap();
        let said = String::from_utf8_lossy(&out.stderr);
        // Warnings (an unknown key, say) do not change the exit status: none may be said.
        assert!(
            out.status.success() && said.trim().is_empty(),
            "systemd-analyze verify:\n{said}"
        );
    }

    // The installed binaries run.
    let agent = root.join("usr/bin/pantau-agent");
    let collector = root.join("usr/bin/pantau-collector");
    let version = env!("CARGO_PKG_VERSION");
    assert!(run(Command::new(&agent).arg("--version")).contains(version));
    assert!(run(Command::new(&collector).arg("--version")).contains(version));
    let checked = run(Command::new(&collector)
        .arg("check-config")
        .arg("--config")
        .arg(root.join("etc/pantau/collector.toml")));
    assert!(checked.contains("/var/lib/pantau/pantau.db"), "{checked}");
    let enrolled = dir.path().join("enrolled");
    run(Command::new(&collector)
        .args([
            "enroll",
            "add",
            "--agent",
            "pkg-pc01",
            "--opd",
            "82.71.01.01.01",
        ])
        .args(["--broker", "mqtt://127.0.0.1:1883", "--out"])
        .arg(&enrolled)
        .arg("--data")
        .arg(dir.path().join("data")));
    let agent_checked = run(Command::new(&agent)
        .arg("check-config")
        .arg("--config")
        .arg(enrolled.join("agent.toml")));
    assert!(agent_checked.contains("pkg-pc01"), "{agent_checked}");

    // The install script, token path: installs the package and calls
    // `pantau-agent enroll URL --token T --ca-fingerprint F` exactly so (a stub stands in for
    // the agent after the package is in place, recording its arguments).
    let stub_root = throwaway_root(&dir.path().join("script"));
    let stub_log = dir.path().join("stub-args");
    let script = repo().join("install/install-agent.sh");
    // First, the package through the script's --deb path, with an enrolled folder.
    run(Command::new("bash")
        .arg(&script)
        .arg("--deb")
        .arg(&agent_deb)
        .arg(&enrolled)
        .env("PANTAU_ROOT", &stub_root));
    assert_eq!(
        stat(&stub_root, "/etc/pantau/agent.key"),
        (
            0o600,
            user(&stub_root, "pantau-agent").unwrap().0,
            user(&stub_root, "pantau-agent").unwrap().1
        ),
        "the enrolled key belongs to the agent's user alone"
    );
    // Then the token path with the stub in place of the binary (--bin).
    let stub = dir.path().join("pantau-agent-stub");
    std::fs::write(
        &stub,
        format!(
            "#!/bin/sh\nprintf '%s\\n' \"$@\" >> {log}\necho --- >> {log}\n",
            log = stub_log.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&stub, std::fs::Permissions::from_mode(0o755)).unwrap();
    run(Command::new("bash")
        .arg(&script)
        .args(["--bin"])
        .arg(&stub)
        .args(["--token", "TOKEN-123", "--ca-fingerprint", "AB:CD:EF"])
        .args(["--url", "https://collector.example:8443"])
        .env("PANTAU_ROOT", &stub_root));
    let calls = std::fs::read_to_string(&stub_log).unwrap();
    let first = calls.split("---\n").next().unwrap();
    assert_eq!(
        first,
        "enroll\nhttps://collector.example:8443\n--token\nTOKEN-123\n--ca-fingerprint\nAB:CD:EF\n",
        "the script's call of pantau-agent enroll"
    );
    assert!(calls.contains("check-config"), "{calls}");

    // Removing a package keeps its data and its user (a city's data is never deleted).
    run(dpkg(&root).args(["-r", "pantau-agent"]));
    assert!(!root.join("usr/bin/pantau-agent").exists());
    assert!(root.join("var/lib/pantau-agent").is_dir());
    assert!(user(&root, "pantau-agent").is_some());
}
