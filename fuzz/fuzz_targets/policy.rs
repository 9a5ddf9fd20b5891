//! Usage policy parsing (TOML, globs, hours, zones, dates): any text gives a policy or
//! errors with positions, never a panic. Errors are rendered, as `policy check` does.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Err(errors) = pantau_collector::policy::Policy::parse(text) {
        let _ = pantau_collector::policy::describe("fuzz.toml", &errors);
    }
});
