//! CSV bytes to a [`Table`]: separator detection, BOM, UTF-8 checking with positions.

use super::columns::header_score;
use super::table::{Cell, Record, Table};
use super::Diagnostic;

/// Separators tried, in order of preference when they score the same.
const SEPARATORS: [u8; 3] = [b',', b';', b'\t'];
/// The header is looked for in this many records; SIMDA exports put a title block above it.
pub const HEADER_SEARCH: usize = 30;

/// Reads the whole file. Every field that is not UTF-8 is reported (`line:column`), so a
/// file saved as Excel's plain "CSV" (Windows-1252) is refused with the places to look at,
/// never imported with mangled names.
pub fn read(name: &str, bytes: &[u8]) -> Result<Table, Vec<Diagnostic>> {
    let error = |line, column, message: String| Diagnostic {
        file: name.to_string(),
        line,
        column,
        column_name: None,
        message,
    };
    if bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF]) {
        return Err(vec![error(
            0,
            0,
            "the file is UTF-16 (Excel's \"Unicode Text\"); save it as \"CSV UTF-8\"".into(),
        )]);
    }
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let separator = detect_separator(bytes);
    let mut records = Vec::new();
    let mut errors = Vec::new();
    let mut reader = reader(bytes, separator);
    let mut raw = csv::ByteRecord::new();
    let mut lines = Lines::new(bytes);
    loop {
        match reader.read_byte_record(&mut raw) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                let line = e.position().map_or(0, |p| lines.at(p.byte() as usize));
                errors.push(error(line, 0, format!("unreadable CSV: {e}")));
                break;
            }
        }
        let line = raw.position().map_or(0, |p| lines.at(p.byte() as usize));
        let mut cells = Vec::with_capacity(raw.len());
        for (i, field) in raw.iter().enumerate() {
            match std::str::from_utf8(field) {
                Ok("") => cells.push(Cell::Empty),
                Ok(text) => cells.push(Cell::Text(text.to_string())),
                Err(e) => {
                    let byte = field[e.valid_up_to()];
                    errors.push(error(
                        line,
                        i + 1,
                        format!(
                            "not UTF-8 text (byte 0x{byte:02X} after {:?}); save the file \
                             as \"CSV UTF-8\"",
                            String::from_utf8_lossy(&field[..e.valid_up_to()])
                        ),
                    ));
                    cells.push(Cell::Empty);
                }
            }
        }
        records.push(Record {
            line,
            first_column: 1,
            cells,
        });
    }
    check_runaway_quote(name, separator, &records, &mut errors);
    if errors.is_empty() {
        Ok(Table {
            label: name.to_string(),
            records,
        })
    } else {
        Err(errors)
    }
}

/// Line numbers from byte offsets. The csv crate's own `Position::line` lags one line behind
/// after every CRLF (it records where the record starts before consuming the `\n` of the
/// previous terminator), and CRLF is what Excel writes; the byte offset is right up to
/// that leftover terminator, so count line breaks ourselves.
struct Lines<'a> {
    bytes: &'a [u8],
    offset: usize,
    line: usize,
}

impl<'a> Lines<'a> {
    fn new(bytes: &'a [u8]) -> Self {
        Lines {
            bytes,
            offset: 0,
            line: 1,
        }
    }

    /// The line of the first byte at or after `byte` that is not a line break. Offsets must
    /// not decrease between calls, which holds for records read in order.
    fn at(&mut self, byte: usize) -> usize {
        let mut start = byte.min(self.bytes.len()).max(self.offset);
        while matches!(self.bytes.get(start), Some(b'\r' | b'\n')) {
            start += 1;
        }
        let skipped = &self.bytes[self.offset..start];
        self.line += skipped
            .iter()
            .enumerate()
            .filter(|&(i, &b)| b == b'\n' || (b == b'\r' && skipped.get(i + 1) != Some(&b'\n')))
            .count();
        self.offset = start;
        self.line
    }
}

fn reader(bytes: &[u8], separator: u8) -> csv::Reader<&[u8]> {
    csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(separator)
        .from_reader(bytes)
}

/// The separator under which the header is best recognized; ties keep the earlier one in
/// [`SEPARATORS`]. Judging by the header names rather than by counting characters copes with
/// title lines above the header and with commas inside names (`Kepala Dinas, Sekretariat`).
fn detect_separator(bytes: &[u8]) -> u8 {
    let mut best = (SEPARATORS[0], (0, 0));
    for sep in SEPARATORS {
        let mut reader = reader(bytes, sep);
        let score = reader
            .byte_records()
            .take(HEADER_SEARCH)
            .map_while(Result::ok)
            .map(|r| {
                let cells: Vec<String> = r
                    .iter()
                    .map(|f| String::from_utf8_lossy(f).into_owned())
                    .collect();
                header_score(&cells)
            })
            .max()
            .unwrap_or((0, 0));
        if score > best.1 {
            best = (sep, score);
        }
    }
    best.0
}

/// A value that opens a quote and never closes it swallows every following line into one
/// field, silently losing rows. Such a field holds lines that look like whole records.
fn check_runaway_quote(name: &str, sep: u8, records: &[Record], errors: &mut Vec<Diagnostic>) {
    let width = records.iter().map(|r| r.cells.len()).max().unwrap_or(0);
    let threshold = (width / 2).max(3);
    for record in records {
        for (i, cell) in record.cells.iter().enumerate() {
            let Cell::Text(text) = cell else { continue };
            let swallowed = text
                .lines()
                .skip(1)
                .any(|l| l.bytes().filter(|&b| b == sep).count() >= threshold);
            if swallowed {
                errors.push(Diagnostic {
                    file: name.to_string(),
                    line: record.line,
                    column: i + 1,
                    column_name: None,
                    message: "a quoted value here runs over the following lines (a missing \
                              closing \")"
                        .into(),
                });
            }
        }
    }
}
