//! Logged-in users from a glibc `utmp` file.
//!
//! Parsed by hand because the format is a fixed C struct and a crate for it would be larger
//! than this file. The layout is glibc's on x86_64 and i386 (384-byte records; x86_64 keeps
//! 32-bit `ut_session` and `ut_tv` for compatibility with i386):
//!
//! | offset | size | field                                 |
//! |-------:|-----:|---------------------------------------|
//! |      0 |    2 | `ut_type` (i16; 7 = `USER_PROCESS`)   |
//! |      4 |    4 | `ut_pid`                              |
//! |      8 |   32 | `ut_line` (tty, NUL padded)           |
//! |     40 |    4 | `ut_id`                               |
//! |     44 |   32 | `ut_user`                             |
//! |     76 |  256 | `ut_host`                             |
//! |    332 |    4 | `ut_exit`                             |
//! |    336 |    4 | `ut_session`                          |
//! |    340 |    4 | `ut_tv.tv_sec` (read unsigned: 2106)  |
//! |    344 |    4 | `ut_tv.tv_usec`                       |
//! |    348 |   16 | `ut_addr_v6`                          |
//! |    364 |   20 | reserved                              |
//!
//! Other architectures (aarch64: 400-byte records) are not parsed; see [`parse`].

use chrono::{DateTime, Utc};
use pantau_proto::body::inventory::LoggedInUser;

/// Size of one record in the x86 / x86_64 glibc layout.
pub const RECORD_LEN: usize = 384;
/// `ut_type` of a login session.
pub const USER_PROCESS: i16 = 7;

/// Users with a `USER_PROCESS` record, in file order. A trailing partial record is ignored.
/// Multi-byte fields are read in native byte order, as the file is written by this host.
pub fn parse(data: &[u8]) -> Vec<LoggedInUser> {
    data.chunks_exact(RECORD_LEN)
        .filter_map(parse_record)
        .collect()
}

fn parse_record(rec: &[u8]) -> Option<LoggedInUser> {
    let ut_type = i16::from_ne_bytes([rec[0], rec[1]]);
    if ut_type != USER_PROCESS {
        return None;
    }
    let name = c_str(&rec[44..76])?;
    let secs = u32::from_ne_bytes(rec[340..344].try_into().ok()?);
    Some(LoggedInUser {
        name,
        line: c_str(&rec[8..40]),
        host: c_str(&rec[76..332]),
        since: (secs > 0)
            .then(|| DateTime::<Utc>::from_timestamp(i64::from(secs), 0))
            .flatten(),
    })
}

/// A NUL-padded fixed field as a trimmed string; empty gives `None`.
fn c_str(field: &[u8]) -> Option<String> {
    let end = field.iter().position(|&b| b == 0).unwrap_or(field.len());
    super::clean(&String::from_utf8_lossy(&field[..end]))
}

/// Build one record; used by tests here and by the fixture tests.
#[doc(hidden)]
pub fn encode_record(ut_type: i16, user: &str, line: &str, host: &str, secs: u32) -> Vec<u8> {
    let mut rec = vec![0u8; RECORD_LEN];
    rec[0..2].copy_from_slice(&ut_type.to_ne_bytes());
    rec[4..8].copy_from_slice(&1234i32.to_ne_bytes());
    put(&mut rec[8..40], line);
    put(&mut rec[44..76], user);
    put(&mut rec[76..332], host);
    rec[340..344].copy_from_slice(&secs.to_ne_bytes());
    rec
}

fn put(field: &mut [u8], s: &str) {
    let n = s.len().min(field.len());
    field[..n].copy_from_slice(&s.as_bytes()[..n]);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_only_user_processes() {
        let mut data = encode_record(2, "reboot", "~", "6.1.0", 1_700_000_000); // BOOT_TIME
        data.extend(encode_record(7, "budi", "tty2", "", 1_700_000_100));
        data.extend(encode_record(6, "LOGIN", "tty1", "", 0)); // LOGIN_PROCESS
        data.extend(encode_record(8, "sari", "pts/0", "", 0)); // DEAD_PROCESS
        data.extend(encode_record(
            7,
            "sari",
            "pts/1",
            "10.20.0.15",
            1_700_000_200,
        ));
        data.extend(&[7, 0, 0]); // truncated tail
        let users = parse(&data);
        assert_eq!(users.len(), 2);
        assert_eq!(users[0].name, "budi");
        assert_eq!(users[0].line.as_deref(), Some("tty2"));
        assert_eq!(users[0].host, None);
        assert_eq!(users[0].since.unwrap().timestamp(), 1_700_000_100);
        assert_eq!(users[1].host.as_deref(), Some("10.20.0.15"));
    }

    #[test]
    fn garbage_is_harmless() {
        assert!(parse(b"not a utmp file").is_empty());
        let junk: Vec<u8> = (0..RECORD_LEN * 3).map(|i| (i * 7 % 251) as u8).collect();
        let _ = parse(&junk);
    }
}
