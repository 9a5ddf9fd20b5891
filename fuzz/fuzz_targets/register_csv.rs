//! Register import, CSV reader: any bytes give a parsed register or line-and-column errors.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = pantau_collector::register::parse_bytes("fuzz.csv", data);
});
