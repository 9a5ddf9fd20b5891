use super::*;

fn csr(cn: &str) -> (KeyPair, String) {
    let key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
    let mut params = CertificateParams::default();
    params.distinguished_name.push(DnType::CommonName, cn);
    let pem = params.serialize_request(&key).unwrap().pem().unwrap();
    (key, pem)
}

#[test]
fn init_writes_a_ca_with_private_key_0600_and_refuses_to_overwrite() {
    let dir = tempfile::tempdir().unwrap();
    let pki = Pki::new(dir.path().join("pki"));
    let ca = pki.init("Kota Uji").unwrap();
    assert!(
        ca.subject().contains("Pantau CA Kota Uji"),
        "{}",
        ca.subject()
    );
    assert_eq!(ca.fingerprint().len(), 64);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(pki.ca_key())
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    assert!(pki.crl().exists());
    let before = std::fs::read(pki.ca_key()).unwrap();
    let e = pki.init("Kota Lain").err().unwrap().to_string();
    assert!(e.contains("refusing to overwrite"), "{e}");
    assert_eq!(std::fs::read(pki.ca_key()).unwrap(), before);
    // Loads back with the same fingerprint.
    assert_eq!(pki.load().unwrap().fingerprint(), ca.fingerprint());
}

#[test]
fn agent_certificates_take_only_the_key_from_the_request() {
    let dir = tempfile::tempdir().unwrap();
    let pki = Pki::new(dir.path());
    let ca = pki.init("Uji").unwrap();
    let (key, pem) = csr("collector-impostor");
    let issued = ca.sign_agent("pc-17", &pem, 365).unwrap();
    let der = super::pem_der(&issued.cert_pem).unwrap();
    let (_, cert) = x509_parser::parse_x509_certificate(&der).unwrap();
    assert_eq!(cert.subject().to_string(), "CN=pc-17, O=Pantau agent");
    use rcgen::PublicKeyData;
    assert_eq!(cert.public_key().raw, key.subject_public_key_info());
    let eku = cert.extended_key_usage().unwrap().unwrap().value;
    assert!(eku.client_auth && !eku.server_auth);
    assert_eq!(hex(cert.raw_serial()), issued.serial);
    assert!(!cert.is_ca());
}

#[test]
fn bad_requests_are_refused_with_the_field() {
    let dir = tempfile::tempdir().unwrap();
    let ca = Pki::new(dir.path()).init("Uji").unwrap();
    let e = ca.sign_agent("pc", "hello", 1).err().unwrap();
    assert!(e.starts_with("csr: no PEM block"), "{e}");
    // A request whose signature does not match its content: altered in transit.
    let (_, pem) = csr("pc");
    let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    use base64::Engine;
    let mut der = base64::engine::general_purpose::STANDARD
        .decode(body)
        .unwrap();
    let n = der.len();
    der[n - 5] ^= 0x55; // inside the signature
    let altered = format!(
        "-----BEGIN CERTIFICATE REQUEST-----\n{}\n-----END CERTIFICATE REQUEST-----\n",
        base64::engine::general_purpose::STANDARD.encode(&der)
    );
    let e = ca.sign_agent("pc", &altered, 1).err().unwrap();
    assert!(e.contains("signature does not verify"), "{e}");
    let huge = "x".repeat(CSR_MAX + 1);
    assert!(ca
        .sign_agent("pc", &huge, 1)
        .err()
        .unwrap()
        .contains("more than"));
}

#[test]
fn server_certificates_carry_the_chain_and_the_names() {
    let dir = tempfile::tempdir().unwrap();
    let pki = Pki::new(dir.path());
    pki.init("Uji").unwrap();
    let path = pki
        .issue_server(
            "broker",
            &["mqtt.kota.go.id".into()],
            &["10.0.0.5".parse().unwrap()],
            30,
            false,
        )
        .unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    assert_eq!(text.matches("BEGIN CERTIFICATE").count(), 2, "cert + CA");
    let e = pki
        .issue_server("broker", &["x".into()], &[], 30, false)
        .err()
        .unwrap()
        .to_string();
    assert!(e.contains("--replace"), "{e}");
    pki.issue_server("broker", &["x".into()], &[], 30, true)
        .unwrap();
    assert!(pki.issue_server("ca", &["x".into()], &[], 1, true).is_err());
    assert!(pki.issue_server("web", &[], &[], 1, false).is_err());
}

#[test]
fn the_crl_lists_revoked_serials() {
    let dir = tempfile::tempdir().unwrap();
    let pki = Pki::new(dir.path());
    let ca = pki.init("Uji").unwrap();
    let (_, pem) = csr("x");
    let issued = ca.sign_agent("pc-1", &pem, 10).unwrap();
    let text = crl::pem(
        &ca,
        &[crl::Revoked {
            serial: issued.serial.clone(),
            at: chrono::Utc::now(),
        }],
    )
    .unwrap();
    use rustls::pki_types::pem::PemObject;
    use x509_parser::prelude::FromDer;
    let der =
        rustls::pki_types::CertificateRevocationListDer::from_pem_slice(text.as_bytes()).unwrap();
    let (_, crl) = x509_parser::revocation_list::CertificateRevocationList::from_der(&der).unwrap();
    let serials: Vec<String> = crl
        .iter_revoked_certificates()
        .map(|r| hex(r.raw_serial()))
        .collect();
    assert_eq!(serials, vec![issued.serial]);
}
