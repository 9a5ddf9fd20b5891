//! Throw-away certificates for TLS tests, made with the `openssl` command (Debian's package).

use std::path::{Path, PathBuf};
use std::process::Command;

/// A CA and a server certificate for `localhost` / 127.0.0.1 signed by it.
pub struct TestPki {
    pub ca_cert: PathBuf,
    pub server_cert: PathBuf,
    pub server_key: PathBuf,
}

fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run openssl (install Debian's `openssl` package)");
    assert!(
        out.status.success(),
        "openssl {args:?} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

impl TestPki {
    /// Valid for two days, for `localhost` and 127.0.0.1.
    pub fn create(dir: &Path, name: &str) -> TestPki {
        TestPki::issue(dir, name, "DNS:localhost,IP:127.0.0.1", 2)
    }

    /// A CA and a server certificate for `san` (an openssl subjectAltName list, e.g.
    /// `IP:10.78.0.2`) that expires `days` days from now, to the second. The CA outlives it by
    /// a day, so the server certificate's own date is the one that counts.
    pub fn issue(dir: &Path, name: &str, san: &str, days: u32) -> TestPki {
        let p = |f: &str| dir.join(format!("{name}-{f}"));
        let (ca_key, ca_cert, key, csr, cert, ext) = (
            p("ca.key"),
            p("ca.pem"),
            p("server.key"),
            p("server.csr"),
            p("server.pem"),
            p("ext.cnf"),
        );
        let s = |x: &PathBuf| x.to_str().expect("utf-8 path").to_owned();
        openssl(
            dir,
            &[
                "req",
                "-x509",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-days",
                &(days + 1).to_string(),
                "-subj",
                &format!("/CN=Pantau test CA {name}"),
                "-keyout",
                &s(&ca_key),
                "-out",
                &s(&ca_cert),
            ],
        );
        openssl(
            dir,
            &[
                "req",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-subj",
                "/CN=localhost",
                "-keyout",
                &s(&key),
                "-out",
                &s(&csr),
            ],
        );
        std::fs::write(
            &ext,
            format!("subjectAltName={san}\nextendedKeyUsage=serverAuth\n"),
        )
        .expect("write ext");
        openssl(
            dir,
            &[
                "x509",
                "-req",
                "-in",
                &s(&csr),
                "-CA",
                &s(&ca_cert),
                "-CAkey",
                &s(&ca_key),
                "-CAcreateserial",
                "-days",
                &days.to_string(),
                "-extfile",
                &s(&ext),
                "-out",
                &s(&cert),
            ],
        );
        TestPki {
            ca_cert,
            server_cert: cert,
            server_key: key,
        }
    }

    /// Mosquitto lines for a TLS listener on `port` using this PKI.
    pub fn listener(&self, port: u16) -> String {
        format!(
            "listener {port} 127.0.0.1\ncafile {}\ncertfile {}\nkeyfile {}\n",
            self.ca_cert.display(),
            self.server_cert.display(),
            self.server_key.display()
        )
    }
}
