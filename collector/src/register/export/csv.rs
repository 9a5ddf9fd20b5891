//! The CSV export: one file, one header line, the same columns as the workbook.
//!
//! Written for Excel as Indonesian offices run it: `;` separated by default (with Indonesian
//! regional settings the list separator is `;`, because `,` is the decimal mark, so a comma
//! file opens as one column), UTF-8 with a byte order mark (without it Excel reads CSV as the
//! ANSI code page and mangles names with non-ASCII letters), CRLF line ends. Pantau's own
//! parser reads all of that back.

use super::{Options, COLUMNS};
use crate::store::RegisterLine;

/// The UTF-8 byte order mark.
pub const BOM: &[u8] = b"\xEF\xBB\xBF";

/// The whole file as bytes. Values holding the separator, a quote or a line break are
/// quoted (`"` doubled inside); nothing else is.
pub fn write_csv(lines: &[RegisterLine], options: &Options) -> anyhow::Result<Vec<u8>> {
    let lang = options.lang;
    let mut out = BOM.to_vec();
    {
        let mut w = csv::WriterBuilder::new()
            .delimiter(options.delimiter)
            .terminator(csv::Terminator::CRLF)
            .from_writer(&mut out);
        w.write_record(COLUMNS.iter().map(|c| c.header(lang)))?;
        for line in lines {
            w.write_record(COLUMNS.iter().map(|c| c.value(line, lang).csv_text()))?;
        }
        w.flush()?;
    }
    Ok(out)
}
