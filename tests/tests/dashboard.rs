//! The dashboard in a real browser (headless Chromium through chromedriver), against a real
//! collector with simulated hosts: sign in through the login form, see the overview with the
//! fleet, open a host, acknowledge a flag with a note through the inbox form, read it back in
//! the flag's history and through the API, switch to English and back, all without a console
//! error; then the same overview on a phone-sized window without sideways scrolling.
//! Screenshots are kept in `target/test-artifacts/dashboard*/`.

use pantau_tests::browser::Browser;
use pantau_tests::collector::ADMIN;
use pantau_tests::fleet::{two_opds, HOST_A, OPD_A};
use pantau_tests::{get_json, wait_until, Collector, Mosquitto};
use std::time::Duration;

fn sign_in(b: &Browser, base: &str) {
    b.goto(&format!("{base}/"));
    assert!(
        b.url().contains("/login"),
        "not sent to sign in: {}",
        b.url()
    );
    b.fill("#name", ADMIN.0);
    b.fill("#password", ADMIN.1);
    b.click("form button[type=submit]");
    let home = wait_until(Duration::from_secs(10), || b.count("#online") == 1);
    assert!(home, "no overview after signing in: {}", b.url());
}

#[test]
fn sign_in_see_the_fleet_open_a_host_acknowledge_a_flag_and_switch_language() {
    let broker = Mosquitto::start();
    let collector = Collector::start(&broker);
    let _fleet = two_opds(&broker, &collector);
    let base = collector.plain_url("");
    let b = Browser::start("dashboard", 1366, 768);
    sign_in(&b, &base);

    // Overview: the two simulated hosts, one row per OPD, in Indonesian.
    assert_eq!(b.text("main h1"), "Ringkasan");
    assert_eq!(b.text("#online"), "2 / 2");
    assert_eq!(b.count("#opds tr[data-opd]"), 2);
    assert_eq!(b.count("#hosts tr"), 3, "header and two hosts");
    b.screenshot("01-ringkasan");
    assert!(
        b.overflow_x() <= 0,
        "the overview scrolls sideways at 1366 px"
    );

    // An OPD: its own page, reached from the overview's row.
    b.click(&format!("#opds tr[data-opd='{OPD_A}'] a"));
    assert!(wait_until(Duration::from_secs(10), || b.text("main h1")
        == format!("OPD {OPD_A}")));
    assert_eq!(b.count("#hosts tr"), 2, "header and OPD A's one host");
    b.screenshot("01b-opd");
    b.goto(&format!("{base}/"));

    // A host: its utilization chart, inventory and register section.
    b.click(&format!("#hosts a[href='/host/{HOST_A}']"));
    assert!(wait_until(Duration::from_secs(10), || b
        .count("#inventory")
        == 1));
    assert!(
        b.text("main h1").starts_with("Host "),
        "{}",
        b.text("main h1")
    );
    assert_eq!(b.count("#utilization svg"), 1);
    b.screenshot("02-host");

    // The inbox: acknowledge OPD A's first flag with a note.
    b.goto(&format!("{base}/temuan?opd={OPD_A}"));
    assert!(b.count("#temuan tr[data-flag]") >= 1, "no flag in OPD A");
    let id: i64 = b
        .text("#temuan tr[data-flag] td a")
        .parse()
        .expect("flag id");
    let note = "dicek di lokasi oleh tim TI";
    b.fill(&format!("tr[data-flag='{id}'] input[name=note]"), note);
    b.screenshot("03-temuan");
    b.click(&format!("tr[data-flag='{id}'] button[value=ack]"));
    let acked = wait_until(Duration::from_secs(10), || {
        get_json(&collector.url(&format!("/api/v1/flags/{id}")))["state"] == "acknowledged"
    });
    assert!(acked, "the form did not acknowledge flag {id}");
    let flag = get_json(&collector.url(&format!("/api/v1/flags/{id}")));
    assert_eq!(flag["ack_by"], ADMIN.0);
    assert_eq!(flag["ack_note"], note);
    assert!(
        b.url().contains("/temuan?opd="),
        "back to the list: {}",
        b.url()
    );
    b.goto(&format!("{base}/temuan/{id}"));
    let history = b.text("#history");
    assert!(
        history.contains("acknowledged") && history.contains(note),
        "{history}"
    );
    b.screenshot("04-temuan-detail");

    // The register: link the unregistered host of OPD A to OPD A's unseen PC.
    b.goto(&format!("{base}/aset?opd={OPD_A}"));
    assert_eq!(
        b.count(&format!("#unregistered tr[data-agent='{HOST_A}']")),
        1
    );
    b.fill(
        &format!("#unregistered tr[data-agent='{HOST_A}'] input[name=note]"),
        "label inventaris dicek",
    );
    b.click(&format!("#unregistered tr[data-agent='{HOST_A}'] button"));
    let linked = wait_until(Duration::from_secs(20), || {
        get_json(&collector.url(&format!("/api/v1/assets?opd={OPD_A}")))[0]["agent_id"] == HOST_A
    });
    assert!(linked, "the link form did not link {HOST_A}");
    b.goto(&format!("{base}/aset?opd={OPD_A}"));
    assert!(
        b.text("#register").contains("manual"),
        "{}",
        b.text("#register")
    );
    b.screenshot("05-aset");

    // Reports: generate OPD A's October report from the page; it lands in the archive.
    b.goto(&format!("{base}/laporan"));
    b.fill("input[name=period]", "2026-10");
    b.fill("input[name=opd]", OPD_A);
    b.click("form.filters button[type=submit]");
    let archived = wait_until(Duration::from_secs(60), || b.count("#reports tr") >= 2);
    assert!(archived, "no report in the archive after generating");
    assert!(b.text("#reports").contains("PDF"), "{}", b.text("#reports"));
    b.screenshot("05b-laporan");

    // English, and the choice follows the navigation.
    b.click("header .who a");
    assert!(wait_until(Duration::from_secs(10), || b.text("main h1")
        == "Periodic ICT condition reports"));
    b.click("header nav a[href^='/?']");
    assert!(wait_until(Duration::from_secs(10), || b.text("main h1") == "Overview"));
    assert!(b.text("#online").contains('/'));
    b.screenshot("06-overview-en");
    b.click("header .who a");
    assert!(wait_until(Duration::from_secs(10), || b.text("main h1") == "Ringkasan"));

    let errors = b.console_errors();
    assert!(errors.is_empty(), "console errors: {errors:#?}");

    // A phone: the same overview fits its width (tables scroll inside their box).
    let phone = Browser::start("dashboard-phone", 390, 844);
    sign_in(&phone, &base);
    phone.screenshot("01-ringkasan-phone");
    assert!(
        phone.overflow_x() <= 0,
        "the overview scrolls sideways on a phone"
    );
    assert!(phone.console_errors().is_empty());
}
