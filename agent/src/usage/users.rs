//! User names for uids, from `/etc/passwd` (re-read only when the file changes).
//!
//! Local accounts only: users from LDAP/SSSD are reported by number, since asking NSS would
//! load its modules (and possibly reach a directory server) in every agent. The collector
//! matches on names where it has them and on numbers otherwise.

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::SystemTime;

pub struct UserNames {
    path: PathBuf,
    mtime: Option<SystemTime>,
    names: HashMap<u32, String>,
}

impl UserNames {
    pub fn new(passwd: PathBuf) -> Self {
        UserNames {
            path: passwd,
            mtime: None,
            names: HashMap::new(),
        }
    }

    /// Re-read the file if it changed since the last call.
    pub fn refresh(&mut self) {
        let mtime = std::fs::metadata(&self.path)
            .and_then(|m| m.modified())
            .ok();
        if mtime.is_some() && mtime == self.mtime {
            return;
        }
        self.mtime = mtime;
        self.names = std::fs::read_to_string(&self.path)
            .map(|t| parse_passwd(&t))
            .unwrap_or_default();
    }

    /// The name, or the number as text when the uid has no local name.
    pub fn name(&self, uid: u32) -> String {
        self.names
            .get(&uid)
            .cloned()
            .unwrap_or_else(|| uid.to_string())
    }
}

/// `name:x:uid:gid:gecos:home:shell` lines; the first name of a uid wins, as for getpwuid.
pub fn parse_passwd(text: &str) -> HashMap<u32, String> {
    let mut out = HashMap::new();
    for line in text.lines() {
        let mut f = line.split(':');
        let (Some(name), _, Some(uid)) = (f.next(), f.next(), f.next()) else {
            continue;
        };
        if let (false, Ok(uid)) = (name.is_empty() || name.starts_with('#'), uid.parse()) {
            out.entry(uid).or_insert_with(|| name.to_owned());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwd() {
        let m = parse_passwd(
            "root:x:0:0:root:/root:/bin/bash\n# comment\nbroken\nbudi:x:1000:1000::/home/budi:/bin/sh\ntoor:x:0:0::/:/bin/sh\n",
        );
        assert_eq!(m.len(), 2);
        assert_eq!(m[&0], "root");
        assert_eq!(m[&1000], "budi");
        let u = UserNames {
            path: PathBuf::new(),
            mtime: None,
            names: m,
        };
        assert_eq!(u.name(1000), "budi");
        assert_eq!(u.name(4242), "4242");
    }
}
