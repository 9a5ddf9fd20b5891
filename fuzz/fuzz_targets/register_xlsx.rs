//! Register import, workbook reader (calamine): any bytes give a register or an error.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = pantau_collector::register::parse_bytes("fuzz.xlsx", data);
});
