//! Reading a CSV export in bounded chunks: the file is cut at record ends (a line end outside quotes),
//! each chunk decoded from its encoding and split into records and fields on its own, so that chunks
//! are parsed in parallel while memory stays at a few chunks whatever the size of the file.
//!
//! Written by hand rather than with polars' CSV reader, which needs the whole file in memory, refuses a
//! whole file for one ragged row and reports no line numbers; and rather than the csv crate's reader,
//! which cannot cut a file into pieces that parse in parallel. The dialect is RFC 4180's: fields
//! separated by the delimiter, optionally quoted with `"` (a quote inside doubled), records ended by
//! `\n` or `\r\n` — or by `\r` alone in a file that has no `\n` at all (old Mac exports).
//! Line numbers are physical lines (a field spanning two lines counts both), the header being line 1.

use std::borrow::Cow;
use std::io::Read;
use std::path::{Path, PathBuf};

use super::{Encoding, Error, Result};

/// Bytes read per chunk (before decoding): what one worker parses at a time. Memory holds a few of
/// them at once, whatever the file's size.
pub const CHUNK_BYTES: usize = 4 << 20;

thread_local! {
    /// The chunk size readers opened on this thread use (tests read in smaller chunks).
    static CHUNK: std::cell::Cell<usize> = const { std::cell::Cell::new(CHUNK_BYTES) };
}

/// Runs `f` with readers opened in it cutting chunks of `bytes` (at least one record each).
pub fn with_chunk_bytes<T>(bytes: usize, f: impl FnOnce() -> T) -> T {
    let before = CHUNK.with(|c| c.replace(bytes.max(1)));
    let out = f();
    CHUNK.with(|c| c.set(before));
    out
}

/// A record longer than this is refused: an unclosed quote would otherwise read the rest of the file
/// as one field.
pub const MAX_RECORD_BYTES: usize = 64 << 20;

fn export_error(path: &Path, message: impl Into<String>) -> Error {
    Error::Export { path: path.to_path_buf(), message: message.into() }
}

/// The byte that ends a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Terminator {
    /// `\n` (a `\r` before it is dropped).
    Lf,
    /// `\r` alone: files with no `\n` anywhere in their first block.
    Cr,
}

impl Terminator {
    fn byte(self) -> u8 {
        match self {
            Terminator::Lf => b'\n',
            Terminator::Cr => b'\r',
        }
    }
}

/// Where a scan stands in a record: a quote opens a quoted field only at a field's start; inside an
/// unquoted field it is a character (which the field splitter then reports as a stray quote).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scan {
    FieldStart,
    Unquoted,
    Quoted,
    /// Just after a quote inside a quoted field: a second quote is an escaped one, anything else
    /// closes the field.
    AfterQuote,
}

/// Walks `b[from..]` from state `q`, calling `end(at, inner)` at every record end outside quotes
/// (`at`: the index after the terminator; `inner`: terminators inside quoted fields of that record).
/// Stops when `end` returns true. Returns where it stopped and the state there.
fn walk(b: &[u8], from: usize, mut q: Scan, delim: u8, term: u8, mut end: impl FnMut(usize, u64) -> bool) -> (usize, Scan) {
    let mut i = from;
    let mut inner = 0u64;
    while i < b.len() {
        match q {
            Scan::FieldStart | Scan::AfterQuote => {
                let c = b[i];
                if c == b'"' {
                    q = Scan::Quoted;
                } else if c == delim {
                    q = Scan::FieldStart;
                } else if c == term {
                    q = Scan::FieldStart;
                    let stop = end(i + 1, inner);
                    inner = 0;
                    if stop {
                        return (i + 1, q);
                    }
                } else {
                    q = Scan::Unquoted;
                }
                i += 1;
            }
            Scan::Unquoted => match memchr::memchr2(delim, term, &b[i..]) {
                Some(off) => {
                    let at = i + off;
                    q = Scan::FieldStart;
                    if b[at] == term {
                        let stop = end(at + 1, inner);
                        inner = 0;
                        if stop {
                            return (at + 1, q);
                        }
                    }
                    i = at + 1;
                }
                None => i = b.len(),
            },
            Scan::Quoted => match memchr::memchr(b'"', &b[i..]) {
                Some(off) => {
                    inner += memchr::memchr_iter(term, &b[i..i + off]).count() as u64;
                    q = Scan::AfterQuote;
                    i += off + 1;
                }
                None => {
                    inner += memchr::memchr_iter(term, &b[i..]).count() as u64;
                    i = b.len();
                }
            },
        }
    }
    (i, q)
}

/// The state after `region` (which holds no quote) from state `start` (field start or unquoted).
fn plain_state(start: Scan, region: &[u8], delim: u8, term: u8) -> Scan {
    match memchr::memrchr2(delim, term, region) {
        Some(p) if p + 1 == region.len() => Scan::FieldStart,
        Some(_) => Scan::Unquoted,
        None if region.is_empty() => start,
        None => Scan::Unquoted,
    }
}

/// A piece of the file holding whole records, as read (decoded by [`Chunk::text`], on the thread
/// that parses it). Its buffer goes back to its reader when it is dropped.
pub struct Chunk {
    pub raw: Vec<u8>,
    /// The physical line its first record starts on.
    pub first_line: u64,
    encoding: Encoding,
    path: std::sync::Arc<PathBuf>,
    source: &'static str,
}

impl Drop for Chunk {
    fn drop(&mut self) {
        SPARE.put(std::mem::take(&mut self.raw));
    }
}

/// The buffers of dropped chunks, which the next chunks read into, of this file and of the next files
/// and passes: reading writes the same memory over and over, instead of new pages that the system has
/// to clear first (a freed buffer of several MiB goes back to the system within milliseconds: see
/// main.rs). Holds at most as many buffers as chunks are in memory at once anyway
/// ([`spare_buffers`]); [`release_buffers`] frees them once reading is done.
struct Spare(std::sync::Mutex<Vec<Vec<u8>>>);

static SPARE: Spare = Spare(std::sync::Mutex::new(Vec::new()));

/// Room a chunk's buffer has beyond the chunk size, for the part record carried over from the last
/// chunk: a buffer is then not grown (moved to new memory) to read the next chunk into, unless that
/// part record is longer.
const CARRY_ROOM: usize = 1 << 16;

/// Frees the buffers kept for the next chunks (reading is done).
pub fn release_buffers() {
    if let Ok(mut spare) = SPARE.0.lock() {
        *spare = Vec::new();
    }
}

/// The most buffers a reader keeps for its next chunks: the chunks in memory at once, which are
/// three groups of two per thread (one being parsed, one waiting in the channel, one read ahead;
/// see `scan::csv_groups`), and the one being filled.
fn spare_buffers() -> usize {
    rayon::current_num_threads() * 6 + 1
}

impl Spare {
    fn put(&self, mut buffer: Vec<u8>) {
        if buffer.capacity() == 0 {
            return;
        }
        buffer.clear();
        if let Ok(mut spare) = self.0.lock() {
            if spare.len() < spare_buffers() {
                spare.push(buffer);
            }
        }
    }

    /// A buffer with room for `bytes` bytes.
    fn take(&self, bytes: usize) -> Vec<u8> {
        let mut buffer = self.0.lock().ok().and_then(|mut s| s.pop()).unwrap_or_default();
        buffer.reserve_exact(bytes);
        buffer
    }
}

impl Chunk {
    /// The chunk's text (UTF-8 is only checked, not copied).
    pub fn text(&self) -> Result<Cow<'_, str>> {
        match self.encoding {
            Encoding::Utf8 => std::str::from_utf8(&self.raw).map(Cow::Borrowed).map_err(|e| {
                let at = self.first_line + self.raw[..e.valid_up_to()].iter().filter(|&&b| b == b'\n').count() as u64;
                export_error(
                    &self.path,
                    format!(
                        "the file is not UTF-8 text (first bad byte on line {at}); if it was exported as GBK or GB18030, \
                         set encoding = \"gbk\" under [exports.{}] in the profile",
                        self.source
                    ),
                )
            }),
            _ => decode(&self.path, self.raw.clone(), self.encoding, self.first_line, self.source).map(Cow::Owned),
        }
    }
}

/// An open CSV export: its header, and the chunks of records after it.
pub struct CsvReader {
    path: std::sync::Arc<PathBuf>,
    source: &'static str,
    file: std::fs::File,
    pub header: Vec<String>,
    pub delimiter: u8,
    pub terminator: Terminator,
    encoding: Encoding,
    /// Bytes read but not yet handed out (the start of an unfinished record).
    carry: Vec<u8>,
    /// How far `carry` has been scanned, and the quote state there.
    scanned: usize,
    quote: Scan,
    /// The physical line the next chunk starts on.
    next_line: u64,
    eof: bool,
    chunk_bytes: usize,
}

/// Decodes bytes of the export's encoding; `line` is where they start, for the message.
fn decode(path: &Path, bytes: Vec<u8>, encoding: Encoding, line: u64, source: &str) -> Result<String> {
    match encoding {
        Encoding::Utf8 => String::from_utf8(bytes).map_err(|e| {
            let bad = e.utf8_error().valid_up_to();
            let at = line + e.as_bytes()[..bad].iter().filter(|&&b| b == b'\n').count() as u64;
            export_error(
                path,
                format!(
                    "the file is not UTF-8 text (first bad byte on line {at}); if it was exported as GBK or GB18030, \
                     set encoding = \"gbk\" under [exports.{source}] in the profile"
                ),
            )
        }),
        Encoding::Gbk | Encoding::Gb18030 => {
            // WHATWG's GBK decoder is GB18030's, which reads every GBK file.
            match encoding_rs::GB18030.decode_without_bom_handling_and_without_replacement(&bytes) {
                Some(text) => Ok(text.into_owned()),
                None => Err(export_error(
                    path,
                    format!(
                        "the file is not valid {} text (in the records from line {line}): check encoding under [exports.{source}] in the profile",
                        if encoding == Encoding::Gbk { "GBK" } else { "GB18030" }
                    ),
                )),
            }
        }
    }
}

impl CsvReader {
    /// Opens the file and reads its header line.
    pub fn open(path: &Path, delimiter: u8, encoding: Encoding, source: &'static str) -> Result<CsvReader> {
        use std::io::Seek;
        let mut file = std::fs::File::open(path).map_err(|e| export_error(path, format!("cannot open: {e}")))?;
        let chunk_bytes = CHUNK.with(|c| c.get());
        // The file's start tells its byte-order mark and line ends.
        let mut first = Vec::with_capacity(1 << 16);
        (&mut file).take(1 << 16).read_to_end(&mut first).map_err(|e| export_error(path, format!("cannot read: {e}")))?;
        if first.is_empty() {
            return Err(export_error(path, "the file is empty (expected a header line naming the columns)"));
        }
        if first.starts_with(&[0xFF, 0xFE]) || first.starts_with(&[0xFE, 0xFF]) {
            return Err(export_error(
                path,
                format!(
                    "the file is UTF-16 text (it starts with a UTF-16 byte-order mark): export it as UTF-8, or as GBK/GB18030 \
                     and set encoding under [exports.{source}] in the profile"
                ),
            ));
        }
        let terminator = if !first.contains(&b'\n') && first.contains(&b'\r') { Terminator::Cr } else { Terminator::Lf };
        let bom = if first.starts_with(b"\xEF\xBB\xBF") { 3 } else { 0 };
        file.seek(std::io::SeekFrom::Start(bom)).map_err(|e| export_error(path, format!("cannot read: {e}")))?;
        first.clear();
        let mut reader = CsvReader {
            path: std::sync::Arc::new(path.to_path_buf()),
            source,
            file,
            header: Vec::new(),
            delimiter,
            terminator,
            encoding,
            carry: first,
            scanned: 0,
            quote: Scan::FieldStart,
            next_line: 1,
            eof: false,
            chunk_bytes,
        };
        // The header is the first record.
        reader.fill()?;
        let end = loop {
            if let Some(end) = reader.find_cut(1) {
                break Some(end);
            }
            if !reader.fill()? {
                break None;
            }
        };
        let end = end.unwrap_or(reader.carry.len());
        let header_bytes: Vec<u8> = reader.carry.drain(..end).collect();
        reader.scanned = 0;
        reader.quote = Scan::FieldStart;
        let lines = header_bytes.iter().filter(|&&b| b == terminator.byte()).count().max(1) as u64;
        let text = decode(path, header_bytes, encoding, 1, source)?;
        let record = trim_terminator(&text, terminator);
        let mut fields = Vec::new();
        split_fields(record, delimiter, &mut fields);
        reader.header = fields.iter().map(|f| f.text(record).into_owned()).collect();
        reader.next_line = 1 + lines;
        Ok(reader)
    }

    /// Reads the next block of the file onto `carry`; false at the end of the file.
    fn fill(&mut self) -> Result<bool> {
        if self.eof {
            return Ok(false);
        }
        let before = self.carry.len();
        self.carry.reserve(self.chunk_bytes);
        (&mut self.file)
            .take(self.chunk_bytes as u64)
            .read_to_end(&mut self.carry)
            .map_err(|e| export_error(&self.path, format!("cannot read: {e}")))?;
        if self.carry.len() == before {
            self.eof = true;
            return Ok(false);
        }
        Ok(true)
    }

    /// The first record end at or after `min_len` bytes of `carry`, scanning on from where the last
    /// scan stopped (and keeping the quote state there).
    fn find_cut(&mut self, min_len: usize) -> Option<usize> {
        let term = self.terminator.byte();
        // No quote ahead: records end at terminators.
        let plain = matches!(self.quote, Scan::FieldStart | Scan::Unquoted) && memchr::memchr(b'"', &self.carry[self.scanned..]).is_none();
        if plain {
            let from = self.scanned.max(min_len.saturating_sub(1)).min(self.carry.len());
            let cut = memchr::memchr(term, &self.carry[from..]).map(|off| from + off + 1);
            let to = cut.unwrap_or(self.carry.len());
            self.quote = plain_state(self.quote, &self.carry[self.scanned..to], self.delimiter, term);
            self.scanned = to;
            return cut;
        }
        let mut cut = None;
        let (at, q) = walk(&self.carry, self.scanned, self.quote, self.delimiter, term, |end, _| {
            if end >= min_len {
                cut = Some(end);
                true
            } else {
                false
            }
        });
        self.scanned = at;
        self.quote = q;
        cut
    }

    /// The end of the last record in `carry`, scanning on from where the last scan stopped (the
    /// quote state at the end of `carry` is kept).
    fn last_cut(&mut self) -> Option<usize> {
        let term = self.terminator.byte();
        let region = &self.carry[self.scanned..];
        if matches!(self.quote, Scan::FieldStart | Scan::Unquoted) && memchr::memchr(b'"', region).is_none() {
            let last = memchr::memrchr(term, region).map(|off| self.scanned + off + 1);
            self.quote = plain_state(self.quote, region, self.delimiter, term);
            self.scanned = self.carry.len();
            return last;
        }
        let mut last = None;
        let (at, q) = walk(&self.carry, self.scanned, self.quote, self.delimiter, term, |end, _| {
            last = Some(end);
            false
        });
        self.scanned = at;
        self.quote = q;
        last
    }

    /// The next chunk of whole records (about the chunk size), or None at the end of the file.
    pub fn next_chunk(&mut self) -> Result<Option<Chunk>> {
        loop {
            if self.carry.len() < self.chunk_bytes && !self.eof {
                self.fill()?;
                continue;
            }
            let cut = match self.last_cut() {
                Some(cut) => cut,
                None if self.eof => self.carry.len(),
                None if self.carry.len() > MAX_RECORD_BYTES => {
                    return Err(export_error(
                        &self.path,
                        format!(
                            "a record starting on line {} runs for more than {} MiB: a quote (\") that opens a field is never closed",
                            self.next_line,
                            MAX_RECORD_BYTES >> 20
                        ),
                    ))
                }
                None => {
                    self.fill()?;
                    continue;
                }
            };
            if cut == 0 {
                return Ok(None);
            }
            let mut rest = SPARE.take(self.chunk_bytes + CARRY_ROOM);
            rest.extend_from_slice(&self.carry[cut..]);
            let mut raw = std::mem::replace(&mut self.carry, rest);
            raw.truncate(cut);
            // The rest starts at a record's start and was scanned to its end (the state there kept).
            self.scanned = self.carry.len();
            let first_line = self.next_line;
            self.next_line += memchr::memchr_iter(self.terminator.byte(), &raw).count() as u64;
            return Ok(Some(Chunk { raw, first_line, encoding: self.encoding, path: self.path.clone(), source: self.source }));
        }
    }
}

fn trim_terminator(record: &str, terminator: Terminator) -> &str {
    match terminator {
        Terminator::Lf => {
            let r = record.strip_suffix('\n').unwrap_or(record);
            r.strip_suffix('\r').unwrap_or(r)
        }
        Terminator::Cr => record.strip_suffix('\r').unwrap_or(record),
    }
}

/// One field of a record: where it is in the record, and whether it was quoted (its text then needs
/// the quotes removed and doubled quotes halved).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Field {
    pub start: usize,
    pub end: usize,
    pub quoted: bool,
    /// A quote where none may be (inside an unquoted field, or after a closing quote).
    pub stray_quote: bool,
}

impl Field {
    /// The field's text.
    pub fn text<'a>(&self, record: &'a str) -> Cow<'a, str> {
        let raw = &record[self.start..self.end];
        if self.quoted {
            let inner = raw.strip_prefix('"').unwrap_or(raw);
            let inner = inner.strip_suffix('"').unwrap_or(inner);
            if inner.contains('"') {
                Cow::Owned(inner.replace("\"\"", "\""))
            } else {
                Cow::Borrowed(inner)
            }
        } else {
            Cow::Borrowed(raw)
        }
    }
}

/// Splits one record (without its terminator) into fields.
pub fn split_fields(record: &str, delimiter: u8, out: &mut Vec<Field>) {
    split_fields_known(record, delimiter, memchr::memchr(b'"', record.as_bytes()).is_some(), out)
}

/// [`split_fields`] when whether the record has a quote is known (a chunk without any quote).
pub fn split_fields_known(record: &str, delimiter: u8, has_quote: bool, out: &mut Vec<Field>) {
    out.clear();
    let b = record.as_bytes();
    // Most records have no quote: fields between delimiters (fields are short: a plain loop beats a
    // vectorized search here).
    if !has_quote {
        let mut start = 0;
        for (at, &c) in b.iter().enumerate() {
            if c == delimiter {
                out.push(Field { start, end: at, quoted: false, stray_quote: false });
                start = at + 1;
            }
        }
        out.push(Field { start, end: b.len(), quoted: false, stray_quote: false });
        return;
    }
    let mut i = 0;
    loop {
        let start = i;
        if i < b.len() && b[i] == b'"' {
            // Quoted: up to the closing quote (a doubled quote is a quote).
            let mut j = i + 1;
            let mut closed = false;
            while j < b.len() {
                if b[j] == b'"' {
                    if j + 1 < b.len() && b[j + 1] == b'"' {
                        j += 2;
                        continue;
                    }
                    closed = true;
                    j += 1;
                    break;
                }
                j += 1;
            }
            // After the closing quote only the delimiter or the record's end may come.
            let mut stray = !closed;
            let mut end = j;
            if closed && j < b.len() && b[j] != delimiter {
                stray = true;
                end = memchr::memchr(delimiter, &b[j..]).map_or(b.len(), |o| j + o);
            }
            out.push(Field { start, end, quoted: closed && !stray, stray_quote: stray });
            if end >= b.len() {
                return;
            }
            i = end + 1;
        } else {
            let end = memchr::memchr(delimiter, &b[i..]).map_or(b.len(), |o| i + o);
            let stray = memchr::memchr(b'"', &b[i..end]).is_some();
            out.push(Field { start, end, quoted: false, stray_quote: stray });
            if end >= b.len() {
                return;
            }
            i = end + 1;
        }
    }
}

/// Calls `each(line, record, fields)` for every record of a chunk's text, with its fields (see
/// [`split_fields`]). Quote-free text (most exports) is split in one vectorized pass over the whole
/// text, delimiters and line ends together.
pub fn for_each_record_fields(text: &str, first_line: u64, terminator: Terminator, delimiter: u8, mut each: impl FnMut(u64, &str, &[Field])) {
    let b = text.as_bytes();
    let mut fields: Vec<Field> = Vec::with_capacity(16);
    if memchr::memchr(b'"', b).is_some() {
        for_each_record(text, first_line, terminator, delimiter, |line, record| {
            split_fields_known(record, delimiter, memchr::memchr(b'"', record.as_bytes()).is_some(), &mut fields);
            each(line, record, &fields);
        });
        return;
    }
    let term = terminator.byte();
    let mut line = first_line;
    let (mut record_start, mut field_start) = (0usize, 0usize);
    for at in memchr::memchr2_iter(delimiter, term, b) {
        if b[at] == delimiter {
            fields.push(Field { start: field_start - record_start, end: at - record_start, quoted: false, stray_quote: false });
            field_start = at + 1;
            continue;
        }
        // A record's end: a `\r` before a `\n` belongs to the line end.
        let end = if terminator == Terminator::Lf && at > field_start && b[at - 1] == b'\r' { at - 1 } else { at };
        fields.push(Field { start: field_start - record_start, end: end - record_start, quoted: false, stray_quote: false });
        let record = &text[record_start..end];
        if record.is_empty() {
            fields.clear();
            fields.push(Field { start: 0, end: 0, quoted: false, stray_quote: false });
        }
        each(line, record, &fields);
        fields.clear();
        line += 1;
        record_start = at + 1;
        field_start = at + 1;
    }
    if record_start < b.len() {
        let record = trim_terminator(&text[record_start..], terminator);
        split_fields_known(record, delimiter, false, &mut fields);
        each(line, record, &fields);
    }
}

/// Field `n` of a record (None when the record has fewer fields), splitting no more of it than it must
/// when it has no quote: what a pass that reads one column needs.
pub fn nth_field<'a>(record: &'a str, delimiter: u8, n: usize, scratch: &mut Vec<Field>) -> Option<Cow<'a, str>> {
    let b = record.as_bytes();
    if memchr::memchr(b'"', b).is_some() {
        split_fields_known(record, delimiter, true, scratch);
        return scratch.get(n).map(|f| f.text(record));
    }
    let mut start = 0;
    let mut seen = 0;
    for at in memchr::memchr_iter(delimiter, b) {
        if seen == n {
            return Some(Cow::Borrowed(&record[start..at]));
        }
        seen += 1;
        start = at + 1;
    }
    (seen == n).then(|| Cow::Borrowed(&record[start..]))
}

/// Calls `each(line, record)` for every record of a chunk, `record` without its terminator, `line`
/// the physical line it starts on. A final empty piece after the last terminator is no record.
pub fn for_each_record(text: &str, first_line: u64, terminator: Terminator, delimiter: u8, mut each: impl FnMut(u64, &str)) {
    let b = text.as_bytes();
    let term = terminator.byte();
    let mut line = first_line;
    let mut start = 0;
    if memchr::memchr(b'"', b).is_none() {
        for at in memchr::memchr_iter(term, b) {
            each(line, trim_terminator(&text[start..at + 1], terminator));
            line += 1;
            start = at + 1;
        }
    } else {
        walk(b, 0, Scan::FieldStart, delimiter, term, |end, inner| {
            each(line, trim_terminator(&text[start..end], terminator));
            line += 1 + inner;
            start = end;
            false
        });
    }
    if start < b.len() {
        each(line, trim_terminator(&text[start..], terminator));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(record: &str) -> Vec<(String, bool, bool)> {
        let mut out = Vec::new();
        split_fields(record, b',', &mut out);
        out.iter().map(|f| (f.text(record).into_owned(), f.quoted, f.stray_quote)).collect()
    }

    #[test]
    fn nth_field_is_the_field_splitting_finds() {
        let records = ["a,b,,c", "", ",", "x", "a,b,c,", "\"a,b\",\"say \"\"hi\"\"\",x", "\"two\nlines\",y", "ab\"c,d,e"];
        let mut scratch = Vec::new();
        for record in records {
            let mut all = Vec::new();
            split_fields(record, b',', &mut all);
            for n in 0..6 {
                let want = all.get(n).map(|f| f.text(record).into_owned());
                assert_eq!(nth_field(record, b',', n, &mut scratch).map(|t| t.into_owned()), want, "{record:?} field {n}");
            }
        }
    }

    #[test]
    fn fields_follow_rfc_4180_and_flag_stray_quotes() {
        let s = |t: &str| t.to_string();
        assert_eq!(fields("a,b,,c"), vec![(s("a"), false, false), (s("b"), false, false), (s(""), false, false), (s("c"), false, false)]);
        assert_eq!(fields("\"a,b\",\"say \"\"hi\"\"\",x"), vec![(s("a,b"), true, false), (s("say \"hi\""), true, false), (s("x"), false, false)]);
        assert_eq!(fields("\"two\nlines\",y"), vec![(s("two\nlines"), true, false), (s("y"), false, false)]);
        assert_eq!(fields(""), vec![(s(""), false, false)]);
        // Quotes where none may be.
        assert!(fields("ab\"c,d")[0].2);
        assert!(fields("\"ab\"c,d")[0].2);
        assert!(!fields("\"ab\"c,d")[1].2);
        assert!(fields("\"never closed,d")[0].2);
    }

    fn read_all(bytes: &[u8], chunk_bytes_hint: usize) -> (Vec<String>, Vec<(u64, String)>) {
        let _ = chunk_bytes_hint;
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("x.csv");
        std::fs::write(&p, bytes).unwrap();
        let mut r = CsvReader::open(&p, b',', Encoding::Utf8, "billing").unwrap();
        let mut records = Vec::new();
        while let Some(c) = r.next_chunk().unwrap() {
            let text = c.text().unwrap();
            for_each_record(&text, c.first_line, r.terminator, b',', |line, rec| records.push((line, rec.to_string())));
        }
        (r.header.clone(), records)
    }

    #[test]
    fn records_carry_their_physical_line_numbers() {
        let (h, r) = read_all(b"\xEF\xBB\xBFa,b\r\n1,2\r\n\"x\ny\",3\n\n4,5", 0);
        assert_eq!(h, ["a", "b"]);
        assert_eq!(r, vec![(2, "1,2".into()), (3, "\"x\ny\",3".into()), (5, "".into()), (6, "4,5".into())]);
        // Old Mac line ends.
        let (h, r) = read_all(b"a,b\r1,2\r3,4\r", 0);
        assert_eq!(h, ["a", "b"]);
        assert_eq!(r, vec![(2, "1,2".into()), (3, "3,4".into())]);
        let (_, r) = read_all(b"a,b\n", 0);
        assert!(r.is_empty());
        // A quote inside an unquoted field is a character: it opens nothing.
        let (_, r) = read_all(b"a,b\nx\"y,1\n2,3\n\"q\"\"\n\",4\n", 0);
        assert_eq!(r, vec![(2, "x\"y,1".into()), (3, "2,3".into()), (4, "\"q\"\"\n\",4".into())]);
    }

    #[test]
    fn chunks_end_at_record_ends_even_inside_long_quoted_fields() {
        // Records of about 1 KiB with a quoted field spanning lines, over several chunks.
        let mut text = String::from("id,note\n");
        let mut expected = Vec::new();
        let mut line = 2;
        for i in 0..(3 * CHUNK_BYTES / 1000) {
            let note = format!("\"{}\n{}\"", "x".repeat(500), "y".repeat(480));
            let rec = format!("c{i},{note}");
            text.push_str(&rec);
            text.push('\n');
            expected.push((line, rec));
            line += 2;
        }
        let (_, r) = read_all(text.as_bytes(), 0);
        assert_eq!(r.len(), expected.len());
        assert!(r == expected, "records differ");
    }

    #[test]
    fn utf16_and_empty_files_are_named() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("x.csv");
        std::fs::write(&p, [0xFF, 0xFE, b'a', 0]).unwrap();
        let e = CsvReader::open(&p, b',', Encoding::Utf8, "billing").err().unwrap().to_string();
        assert!(e.contains("UTF-16"), "{e}");
        std::fs::write(&p, b"").unwrap();
        let e = CsvReader::open(&p, b',', Encoding::Utf8, "billing").err().unwrap().to_string();
        assert!(e.contains("empty"), "{e}");
    }
}
