//! Installed software: dpkg's status file, the rpm database (through `rpm -qa`) and, on
//! Windows, the Uninstall registry keys (`windows.rs`).
//!
//! Read only when a source changed (dpkg's status file or rpm's database directory has a new
//! modification time) or a full snapshot is due, since a package database rarely changes and
//! parsing 2,000 packages every five minutes would be most of the agent's usage cost.

use super::hash::hex;
use chrono::{DateTime, Utc};
use pantau_proto::body::usage::Software;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

pub struct SoftwareReader {
    root: PathBuf,
    /// Modification times of the sources at the last read.
    stamps: Vec<Option<SystemTime>>,
    list: Vec<Software>,
    digest: Option<String>,
    errors: Vec<String>,
}

impl SoftwareReader {
    pub fn new(root: PathBuf) -> Self {
        SoftwareReader {
            root,
            stamps: Vec::new(),
            list: Vec::new(),
            digest: None,
            errors: Vec::new(),
        }
    }

    fn stamp_paths(&self) -> [PathBuf; 3] {
        [
            self.root.join("var/lib/dpkg/status"),
            self.root.join("var/lib/rpm"),
            self.root.join("usr/lib/sysimage/rpm"),
        ]
    }

    /// Re-read when a source changed or `force`; returns whether the list was read now.
    pub fn refresh(&mut self, force: bool) -> bool {
        let stamps: Vec<Option<SystemTime>> = self
            .stamp_paths()
            .iter()
            .map(|p| std::fs::metadata(p).and_then(|m| m.modified()).ok())
            .collect();
        if !force && self.digest.is_some() && stamps == self.stamps {
            return false;
        }
        self.stamps = stamps;
        self.errors.clear();
        let mut list = Vec::new();
        let status = self.root.join("var/lib/dpkg/status");
        match std::fs::read_to_string(&status) {
            Ok(text) => {
                let info = self.root.join("var/lib/dpkg/info");
                list.extend(parse_dpkg_status(&text, |pkg, arch| {
                    dpkg_installed_at(&info, pkg, arch)
                }));
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => self
                .errors
                .push(format!("software: {}: {e}", status.display())),
        }
        if self.root == Path::new("/") {
            match super::rpm::query() {
                Ok(pkgs) => list.extend(pkgs),
                Err(Some(e)) => self.errors.push(format!("software: rpm: {e}")),
                Err(None) => {} // no rpm on this machine
            }
            #[cfg(windows)]
            match super::windows::installed() {
                Ok(pkgs) => list.extend(pkgs),
                Err(e) => self.errors.push(format!("software: registry: {e}")),
            }
        }
        list.sort();
        list.dedup();
        self.digest = Some(digest(&list));
        self.list = list;
        true
    }

    pub fn list(&self) -> &[Software] {
        &self.list
    }

    pub fn digest(&self) -> Option<&str> {
        self.digest.as_deref()
    }

    pub fn errors(&self) -> &[String] {
        &self.errors
    }
}

/// sha256 of the sorted list as JSON: the same list gives the same digest on every agent.
pub fn digest(sorted: &[Software]) -> String {
    let json = serde_json::to_vec(sorted).expect("software serializes");
    hex(&Sha256::digest(&json))
}

/// Installed packages of a dpkg `status` file: paragraphs whose `Status` ends in
/// `installed` (not `config-files`, `half-installed`, ...). Continuation lines are skipped.
pub fn parse_dpkg_status(
    text: &str,
    installed_at: impl Fn(&str, Option<&str>) -> Option<DateTime<Utc>>,
) -> Vec<Software> {
    let mut out = Vec::new();
    for para in text.split("\n\n") {
        let mut name = None;
        let mut version = None;
        let mut maintainer = None;
        let mut arch = None;
        let mut installed = false;
        for line in para.lines() {
            let Some((key, value)) = line.split_once(':') else {
                continue;
            };
            if line.starts_with([' ', '\t']) {
                continue;
            }
            let value = value.trim();
            match key {
                "Package" => name = Some(value),
                "Version" => version = Some(value),
                "Maintainer" => maintainer = Some(value),
                "Architecture" => arch = Some(value),
                "Status" => installed = value.split_whitespace().last() == Some("installed"),
                _ => {}
            }
        }
        if let (Some(name), true) = (name.filter(|n| !n.is_empty()), installed) {
            out.push(Software {
                name: name.into(),
                version: version.map(Into::into),
                publisher: maintainer.map(Into::into),
                source: "dpkg".into(),
                installed_at: installed_at(name, arch),
            });
        }
    }
    out
}

/// When the package was installed or last upgraded: dpkg rewrites its file list then.
fn dpkg_installed_at(info: &Path, pkg: &str, arch: Option<&str>) -> Option<DateTime<Utc>> {
    let meta = match std::fs::metadata(info.join(format!("{pkg}.list"))) {
        Ok(m) => m,
        // Multi-Arch: same packages name their list `pkg:arch.list`.
        Err(_) => std::fs::metadata(info.join(format!("{pkg}:{}.list", arch?))).ok()?,
    };
    Some(meta.modified().ok()?.into())
}

#[cfg(test)]
mod tests {
    use super::*;

    const STATUS: &str = "Package: openssh-server
Status: install ok installed
Priority: optional
Architecture: amd64
Version: 1:9.2p1-2+deb12u3
Maintainer: Debian OpenSSH Maintainers <debian-ssh@lists.debian.org>
Description: secure shell (SSH) server
 Package: not-a-package
 Maintainer: nobody

Package: old-thing
Status: deinstall ok config-files
Version: 1.0

Package: libc6
Status: install ok installed
Architecture: amd64
Multi-Arch: same
Version: 2.36-9
Maintainer: GNU Libc Maintainers <debian-glibc@lists.debian.org>
";

    #[test]
    fn dpkg() {
        let got = parse_dpkg_status(STATUS, |_, _| None);
        let names: Vec<&str> = got.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["openssh-server", "libc6"]);
        assert_eq!(got[0].version.as_deref(), Some("1:9.2p1-2+deb12u3"));
        assert!(got[0]
            .publisher
            .as_deref()
            .unwrap()
            .starts_with("Debian OpenSSH"));
        assert_eq!(got[1].source, "dpkg");
    }

    #[test]
    fn installed_at_from_file_lists() {
        let dir = tempfile::tempdir().unwrap();
        let info = dir.path().join("var/lib/dpkg/info");
        std::fs::create_dir_all(&info).unwrap();
        std::fs::write(info.join("openssh-server.list"), "/usr/sbin/sshd\n").unwrap();
        std::fs::write(info.join("libc6:amd64.list"), "/lib\n").unwrap();
        std::fs::write(dir.path().join("var/lib/dpkg/status"), STATUS).unwrap();
        let mut r = SoftwareReader::new(dir.path().to_owned());
        assert!(r.refresh(false));
        assert_eq!(r.list().len(), 2);
        assert!(r.list().iter().all(|s| s.installed_at.is_some()));
        let d = r.digest().unwrap().to_owned();
        assert!(!r.refresh(false), "unchanged status file: not read again");
        assert!(r.refresh(true), "a full snapshot reads it anyway");
        assert_eq!(r.digest(), Some(d.as_str()));
    }

    #[test]
    fn no_dpkg_is_an_empty_list() {
        let dir = tempfile::tempdir().unwrap();
        let mut r = SoftwareReader::new(dir.path().to_owned());
        assert!(r.refresh(false));
        assert!(r.list().is_empty() && r.errors().is_empty());
        assert_eq!(r.digest(), Some(digest(&[]).as_str()));
    }
}
