//! One SNMP conversation with one device over `snmp2`: v2c or v3 authPriv, GET and GETBULK
//! walks, each request bounded by the timeout and retried. snmp2 itself never times out and
//! rejects a late answer to an abandoned request as a mismatch, so after a timeout the
//! session is opened anew (new socket, v3 engine discovery again) before the retry.

use pantau_proto::body::snmp_config::{SnmpCredentials, SnmpTarget};
use snmp2::v3::{Auth, AuthProtocol, Cipher, Security};
use snmp2::{AsyncSession, Oid, Value};
use std::time::Duration;

/// A value copied out of the receive buffer.
#[derive(Debug, Clone, PartialEq)]
pub enum Val {
    Int(i64),
    Str(Vec<u8>),
    Oid(String),
    /// Counter32, Counter64, Gauge32/Unsigned32.
    Num(u64),
    Ticks(u64),
    Ip([u8; 4]),
    Other,
}

pub type Row = (Vec<u64>, Val);

/// error-status and the varbinds (with an end-of-view mark) of one answer.
type Answer = (u32, Vec<(Vec<u64>, Val, bool)>);
type Pending<'s> =
    std::pin::Pin<Box<dyn std::future::Future<Output = Result<Answer, snmp2::Error>> + Send + 's>>;

/// Why a device could not be polled, as reported in `error_kind`.
#[derive(Debug, Clone, PartialEq)]
pub enum PollError {
    Timeout(String),
    Auth(String),
    Protocol(String),
    Resolve(String),
}

impl PollError {
    pub fn kind(&self) -> &'static str {
        match self {
            PollError::Timeout(_) => "timeout",
            PollError::Auth(_) => "auth",
            PollError::Protocol(_) => "protocol",
            PollError::Resolve(_) => "resolve",
        }
    }
    pub fn message(&self) -> &str {
        match self {
            PollError::Timeout(m)
            | PollError::Auth(m)
            | PollError::Protocol(m)
            | PollError::Resolve(m) => m,
        }
    }
}

#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub timeout: Duration,
    pub retries: u32,
    pub max_repetitions: u32,
}

/// Walks stop after this many rows per root whatever the device says: a broken agent that
/// loops (returns non-increasing OIDs) or an endless table cannot hold the poller.
const MAX_ROWS_PER_WALK: usize = 50_000;

pub struct Client {
    address: String,
    security: Option<Security>,
    community: Vec<u8>,
    session: AsyncSession,
    limits: Limits,
    /// Requests sent, retries and v3 discovery included.
    pub requests: u32,
}

fn security(c: &SnmpCredentials) -> Result<Option<Security>, PollError> {
    match c {
        SnmpCredentials::V2c { .. } => Ok(None),
        SnmpCredentials::V3 {
            user,
            auth_protocol,
            auth_password,
            priv_protocol,
            priv_password,
        } => {
            let auth = match auth_protocol.to_ascii_lowercase().as_str() {
                "sha" | "sha1" => AuthProtocol::Sha1,
                "sha256" => AuthProtocol::Sha256,
                "sha512" => AuthProtocol::Sha512,
                other => {
                    return Err(PollError::Auth(format!(
                    "credentials.auth_protocol: {other:?} is not supported (sha, sha256, sha512)"
                )))
                }
            };
            let cipher = match priv_protocol.to_ascii_lowercase().as_str() {
                "aes" | "aes128" => Cipher::Aes128,
                "aes192" => Cipher::Aes192,
                "aes256" => Cipher::Aes256,
                other => {
                    return Err(PollError::Auth(format!(
                    "credentials.priv_protocol: {other:?} is not supported (aes, aes192, aes256)"
                )))
                }
            };
            Ok(Some(
                Security::new(user.as_bytes(), auth_password.expose().as_bytes())
                    .with_auth_protocol(auth)
                    .with_auth(Auth::AuthPriv {
                        cipher,
                        privacy_password: priv_password.expose().as_bytes().to_vec(),
                    }),
            ))
        }
    }
}

fn classify(e: &snmp2::Error, during: &str) -> PollError {
    use snmp2::Error as E;
    match e {
        E::AuthFailure(k) => PollError::Auth(format!(
            "{during}: authentication failed ({k:?}): check the v3 user and passwords"
        )),
        E::Crypto(_) => PollError::Auth(format!(
            "{during}: cannot decrypt the answer: check the v3 privacy password"
        )),
        other => PollError::Protocol(format!("{during}: {other}")),
    }
}

/// Whether a failure is worth another try on a fresh session.
fn transient(e: &snmp2::Error) -> bool {
    matches!(
        e,
        snmp2::Error::RequestIdMismatch | snmp2::Error::Receive | snmp2::Error::Send
    )
}

fn owned(v: &Value<'_>) -> Val {
    match v {
        Value::Integer(i) => Val::Int(*i),
        Value::OctetString(s) => Val::Str(s.to_vec()),
        Value::ObjectIdentifier(o) => Val::Oid(oid_string(o)),
        Value::Counter32(n) | Value::Unsigned32(n) => Val::Num(u64::from(*n)),
        Value::Counter64(n) => Val::Num(*n),
        Value::Timeticks(n) => Val::Ticks(u64::from(*n)),
        Value::IpAddress(a) => Val::Ip(*a),
        _ => Val::Other,
    }
}

fn oid_string(o: &Oid<'_>) -> String {
    o.iter()
        .map(|i| i.map(|n| n.to_string()).collect::<Vec<_>>().join("."))
        .unwrap_or_default()
}

fn oid_vec(o: &Oid<'_>) -> Vec<u64> {
    o.iter().map(|i| i.collect()).unwrap_or_default()
}

fn end_of_view(v: &Value<'_>) -> bool {
    matches!(
        v,
        Value::EndOfMibView | Value::NoSuchObject | Value::NoSuchInstance
    )
}

impl Client {
    pub async fn open(target: &SnmpTarget, limits: Limits) -> Result<Client, PollError> {
        let address = format!("{}:{}", target.host, target.port.unwrap_or(161));
        let community = match &target.credentials {
            SnmpCredentials::V2c { community } => community.expose().as_bytes().to_vec(),
            SnmpCredentials::V3 { .. } => Vec::new(),
        };
        let security = security(&target.credentials)?;
        let mut requests = 0;
        let session = Self::connect(
            &address,
            &community,
            security.clone(),
            limits,
            &mut requests,
        )
        .await?;
        Ok(Client {
            address,
            security,
            community,
            session,
            limits,
            requests,
        })
    }

    async fn connect(
        address: &str,
        community: &[u8],
        security: Option<Security>,
        limits: Limits,
        requests: &mut u32,
    ) -> Result<AsyncSession, PollError> {
        let start_id = (std::process::id() as i32).wrapping_mul(7919) & 0x3fff_ffff;
        let session = match security {
            None => AsyncSession::new_v2c(address, community, start_id).await,
            Some(sec) => AsyncSession::new_v3(address, start_id, sec).await,
        };
        let mut session = session.map_err(|e| PollError::Resolve(format!("{address}: {e}")))?;
        if session.version() == snmp2::Version::V3 {
            // Engine discovery: one request, retried like any other.
            let mut last = None;
            for _ in 0..=limits.retries {
                *requests += 1;
                match tokio::time::timeout(limits.timeout, session.init()).await {
                    Ok(Ok(())) => return Ok(session),
                    Ok(Err(e)) if transient(&e) => last = Some(e),
                    Ok(Err(e)) => return Err(classify(&e, "v3 engine discovery")),
                    Err(_) => {}
                }
            }
            return Err(match last {
                Some(e) => classify(&e, "v3 engine discovery"),
                None => PollError::Timeout(format!(
                    "{address}: no answer to v3 engine discovery after {} tries: the device is down or unreachable",
                    limits.retries + 1
                )),
            });
        }
        Ok(session)
    }

    async fn reopen(&mut self) -> Result<(), PollError> {
        self.session = Self::connect(
            &self.address,
            &self.community,
            self.security.clone(),
            self.limits,
            &mut self.requests,
        )
        .await?;
        Ok(())
    }

    /// One request with timeout and retries; `what` names it in errors.
    async fn request<F>(&mut self, what: &str, op: F) -> Result<Answer, PollError>
    where
        F: for<'s> Fn(&'s mut AsyncSession) -> Pending<'s>,
    {
        let tries = self.limits.retries + 1;
        let mut refused = false;
        for attempt in 0..tries {
            if attempt > 0 {
                self.reopen().await?;
            }
            self.requests += 1;
            match tokio::time::timeout(self.limits.timeout, op(&mut self.session)).await {
                Ok(Ok(r)) => return Ok(r),
                Ok(Err(e)) if transient(&e) => {
                    refused = matches!(e, snmp2::Error::Receive);
                    continue;
                }
                Ok(Err(e)) => return Err(classify(&e, what)),
                Err(_) => refused = false,
            }
        }
        // A device that answers nothing looks the same whether it is down or the secret is
        // wrong (v2c agents and v3 privacy failures stay silent): say both.
        let hint = if refused {
            "nothing listens on that port (ICMP port unreachable)"
        } else if self.security.is_some() {
            "the engine answered discovery, so check the v3 privacy password and protocol"
        } else {
            "the device is down or unreachable, or the community is wrong"
        };
        Err(PollError::Timeout(format!(
            "{}: no answer to {what} after {tries} tries of {} ms: {hint}",
            self.address,
            self.limits.timeout.as_millis()
        )))
    }

    /// GET of several scalars; absent ones (noSuchObject) are left out.
    pub async fn get(&mut self, oids: &[&[u64]]) -> Result<Vec<Row>, PollError> {
        let oids: Vec<Oid<'static>> = oids
            .iter()
            .map(|o| Oid::from(o).expect("static OIDs are valid"))
            .collect();
        let (status, rows) = self
            .request("GET system", |s| {
                let oids = oids.clone();
                Box::pin(async move {
                    let refs: Vec<&Oid> = oids.iter().collect();
                    let pdu = s.get_many(&refs).await?;
                    let status = pdu.error_status;
                    let rows = pdu
                        .varbinds
                        .map(|(o, v)| (oid_vec(&o), owned(&v), end_of_view(&v)))
                        .collect();
                    Ok((status, rows))
                })
            })
            .await?;
        if status != 0 {
            return Err(PollError::Protocol(format!(
                "{}: GET answered error-status {status}",
                self.address
            )));
        }
        Ok(rows
            .into_iter()
            .filter(|(_, _, end)| !end)
            .map(|(o, v, _)| (o, v))
            .collect())
    }

    /// Every row under `root`, by GETBULK.
    pub async fn walk(&mut self, root: &[u64]) -> Result<Vec<Row>, PollError> {
        let mut out = Vec::new();
        let mut next = root.to_vec();
        let max_rep = self.limits.max_repetitions;
        let what = format!("GETBULK {}", dotted(root));
        loop {
            let from = Oid::from(&next).map_err(|e| {
                PollError::Protocol(format!(
                    "{}: bad OID {}: {e:?}",
                    self.address,
                    dotted(&next)
                ))
            })?;
            let (status, rows) = self
                .request(&what, |s| {
                    let from = from.clone();
                    Box::pin(async move {
                        let pdu = s.getbulk(&[&from], 0, max_rep).await?;
                        let status = pdu.error_status;
                        let rows = pdu
                            .varbinds
                            .map(|(o, v)| (oid_vec(&o), owned(&v), end_of_view(&v)))
                            .collect();
                        Ok((status, rows))
                    })
                })
                .await?;
            if status != 0 {
                return Err(PollError::Protocol(format!(
                    "{}: {what} answered error-status {status}",
                    self.address
                )));
            }
            if rows.is_empty() {
                return Ok(out);
            }
            for (oid, val, end) in rows {
                // Past the subtree, at its end, or not increasing (a looping agent): done.
                if end || !oid.starts_with(root) || oid <= next {
                    return Ok(out);
                }
                next = oid.clone();
                out.push((oid, val));
                if out.len() >= MAX_ROWS_PER_WALK {
                    return Ok(out);
                }
            }
        }
    }
}

pub fn dotted(oid: &[u64]) -> String {
    oid.iter().map(u64::to_string).collect::<Vec<_>>().join(".")
}
