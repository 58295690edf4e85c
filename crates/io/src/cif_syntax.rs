//! The CIF 1.1 syntax layer: tokens (bare words, quoted strings, semicolon text fields, comments),
//! data blocks, tag–value items and loops, each value keeping its line number for error messages.
//!
//! Reference: S. R. Hall, F. H. Allen, I. D. Brown, Acta Cryst. A47 (1991) 655 and the CIF 1.1
//! syntax specification (IUCr). Tags are compared case-insensitively; a DDLm-style dot
//! (`_cell.length_a`) is read as an underscore (`_cell_length_a`). `save_` frames are skipped.

use crate::error::{IoError, Location};

/// One value with the line it starts on. `quoted` is true for quoted strings and text fields,
/// so that a quoted `'?'` is the literal question mark, not "unknown".
#[derive(Clone, Debug, PartialEq)]
pub struct Value {
    pub text: String,
    pub line: usize,
    pub quoted: bool,
}

impl Value {
    /// True for the CIF null values `?` (unknown) and `.` (inapplicable), when unquoted.
    pub fn is_null(&self) -> bool {
        !self.quoted && (self.text == "?" || self.text == ".")
    }
}

/// A `loop_`: its tags (lower-case) and the values, row-major.
#[derive(Clone, Debug, PartialEq)]
pub struct Loop {
    pub tags: Vec<String>,
    pub line: usize,
    pub values: Vec<Value>,
}

impl Loop {
    /// Column index of `tag` (lower-case, underscores).
    pub fn column(&self, tag: &str) -> Option<usize> {
        self.tags.iter().position(|t| t == tag)
    }

    /// Number of rows.
    pub fn num_rows(&self) -> usize {
        self.values.len() / self.tags.len().max(1)
    }

    /// The values of row `r`.
    pub fn row(&self, r: usize) -> &[Value] {
        let n = self.tags.len();
        &self.values[r * n..(r + 1) * n]
    }
}

/// A `data_` block: single items and loops.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Block {
    pub name: String,
    pub line: usize,
    pub items: Vec<(String, Value)>,
    pub loops: Vec<Loop>,
}

impl Block {
    /// The value of a single item `tag`, or of a one-row loop column `tag`.
    pub fn get(&self, tag: &str) -> Option<&Value> {
        if let Some((_, v)) = self.items.iter().find(|(t, _)| t == tag) {
            return Some(v);
        }
        self.loops.iter().find_map(|l| {
            let c = l.column(tag)?;
            (l.num_rows() == 1).then(|| &l.values[c])
        })
    }

    /// The loop that contains `tag`.
    pub fn find_loop(&self, tag: &str) -> Option<&Loop> {
        self.loops.iter().find(|l| l.column(tag).is_some())
    }
}

#[derive(Debug, PartialEq)]
enum Tok {
    Data(String),
    Loop,
    Save,
    Global,
    Stop,
    Tag(String),
    Value(Value),
}

fn normalise_tag(t: &str) -> String {
    t.to_ascii_lowercase().replace('.', "_")
}

fn tokenize(text: &str, path: &str) -> Result<Vec<(Tok, usize)>, IoError> {
    let lines: Vec<&str> = text.lines().collect();
    let mut toks = Vec::new();
    let mut i = 0usize;
    while i < lines.len() {
        let lineno = i + 1;
        let line = lines[i];
        if let Some(first) = line.strip_prefix(';') {
            // semicolon text field: up to the next line that starts with ';'
            let mut buf = first.to_string();
            let mut j = i + 1;
            let mut closed = None;
            while j < lines.len() {
                if let Some(rest) = lines[j].strip_prefix(';') {
                    closed = Some(rest);
                    break;
                }
                buf.push('\n');
                buf.push_str(lines[j]);
                j += 1;
            }
            let Some(rest) = closed else {
                return Err(IoError::syntax(
                    Location::line(path, lineno),
                    "text field opened with ';' is never closed (truncated file?)",
                ));
            };
            toks.push((
                Tok::Value(Value {
                    text: buf.trim().to_string(),
                    line: lineno,
                    quoted: true,
                }),
                lineno,
            ));
            tokenize_line(rest, j + 1, path, &mut toks)?;
            i = j + 1;
            continue;
        }
        tokenize_line(line, lineno, path, &mut toks)?;
        i += 1;
    }
    Ok(toks)
}

fn tokenize_line(
    line: &str,
    lineno: usize,
    path: &str,
    toks: &mut Vec<(Tok, usize)>,
) -> Result<(), IoError> {
    let b = line.as_bytes();
    let mut p = 0usize;
    while p < b.len() {
        let c = b[p];
        if c.is_ascii_whitespace() {
            p += 1;
            continue;
        }
        if c == b'#' {
            break;
        }
        if c == b'\'' || c == b'"' {
            // a quoted string ends at the same quote followed by whitespace or end of line
            let start = p + 1;
            let mut q = start;
            let end = loop {
                if q >= b.len() {
                    return Err(IoError::syntax(
                        Location::line(path, lineno),
                        format!("unterminated quoted string starting at column {}", p + 1),
                    ));
                }
                if b[q] == c && (q + 1 == b.len() || b[q + 1].is_ascii_whitespace()) {
                    break q;
                }
                q += 1;
            };
            toks.push((
                Tok::Value(Value {
                    text: line[start..end].to_string(),
                    line: lineno,
                    quoted: true,
                }),
                lineno,
            ));
            p = end + 1;
            continue;
        }
        let start = p;
        while p < b.len() && !b[p].is_ascii_whitespace() {
            p += 1;
        }
        let word = &line[start..p];
        let lower = word.to_ascii_lowercase();
        let tok = if lower.starts_with("data_") {
            Tok::Data(word[5..].to_string())
        } else if lower == "loop_" {
            Tok::Loop
        } else if lower.starts_with("save_") {
            Tok::Save
        } else if lower == "global_" {
            Tok::Global
        } else if lower == "stop_" {
            Tok::Stop
        } else if word.starts_with('_') {
            Tok::Tag(normalise_tag(word))
        } else {
            Tok::Value(Value {
                text: word.to_string(),
                line: lineno,
                quoted: false,
            })
        };
        toks.push((tok, lineno));
    }
    Ok(())
}

/// Parse CIF text into its data blocks. `path` is used in error messages only.
///
/// Errors: unterminated quotes or text fields, a tag without a value, a value without a tag,
/// a loop whose values do not fill its rows (a truncated file), content before the first block.
pub fn parse_blocks(text: &str, path: &str) -> Result<Vec<Block>, IoError> {
    let toks = tokenize(text, path)?;
    let mut blocks: Vec<Block> = Vec::new();
    let mut i = 0usize;
    let mut in_save = false;
    // the block's tags and the lines they were given on: CIF allows one value per tag per block
    // (a second `_cell_length_a`, a second `_atom_site_` loop), and taking the first or the last
    // silently would read another structure than another reader does
    let mut seen: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    while i < toks.len() {
        let (tok, line) = &toks[i];
        let line = *line;
        if in_save {
            if matches!(tok, Tok::Save) {
                in_save = false;
            }
            i += 1;
            continue;
        }
        match tok {
            Tok::Data(name) => {
                seen.clear();
                blocks.push(Block {
                    name: name.clone(),
                    line,
                    ..Block::default()
                });
                i += 1;
            }
            Tok::Save => {
                in_save = true;
                i += 1;
            }
            Tok::Global | Tok::Stop => i += 1,
            Tok::Loop => {
                let Some(block) = blocks.last_mut() else {
                    return Err(IoError::syntax(
                        Location::line(path, line),
                        "loop_ before the first data_ block",
                    ));
                };
                let mut tags = Vec::new();
                i += 1;
                while let Some((Tok::Tag(t), tag_line)) = toks.get(i) {
                    given_once(&mut seen, t, *tag_line, &block.name, path)?;
                    tags.push(t.clone());
                    i += 1;
                }
                if tags.is_empty() {
                    return Err(IoError::syntax(
                        Location::line(path, line),
                        "loop_ without tags",
                    ));
                }
                let mut values = Vec::new();
                while let Some((Tok::Value(v), _)) = toks.get(i) {
                    values.push(v.clone());
                    i += 1;
                }
                if values.len() % tags.len() != 0 {
                    // a loop written a row per line (as most are): the first line whose count
                    // is not the tags' is the row with a value missing or extra, not the last
                    let mut per_line: Vec<(usize, usize)> = Vec::new();
                    for v in &values {
                        match per_line.last_mut() {
                            Some((l, n)) if *l == v.line => *n += 1,
                            _ => per_line.push((v.line, 1)),
                        }
                    }
                    let fitting = per_line.iter().filter(|(_, n)| *n == tags.len()).count();
                    if fitting >= per_line.len() / 2 && per_line.len() > 1 {
                        if let Some((bad, n)) = per_line.iter().find(|(_, n)| *n != tags.len()) {
                            return Err(IoError::syntax(
                                Location::field(path, Some(*bad), &tags[0]),
                                format!(
                                    "this row of the loop_ starting at line {line} has {n} values \
                                     for its {} tags (a value missing or extra, or the file cut short?)",
                                    tags.len()
                                ),
                            ));
                        }
                    }
                    let last = values.last().map(|v| v.line).unwrap_or(line);
                    return Err(IoError::syntax(
                        Location::field(path, Some(last), &tags[0]),
                        format!(
                            "loop_ starting at line {line} has {} values for {} tags: the last \
                             row is incomplete (truncated file?)",
                            values.len(),
                            tags.len()
                        ),
                    ));
                }
                block.loops.push(Loop { tags, line, values });
            }
            Tok::Tag(t) => {
                let Some(block) = blocks.last_mut() else {
                    return Err(IoError::syntax(
                        Location::field(path, Some(line), t),
                        "tag before the first data_ block",
                    ));
                };
                given_once(&mut seen, t, line, &block.name, path)?;
                match toks.get(i + 1) {
                    Some((Tok::Value(v), _)) => {
                        block.items.push((t.clone(), v.clone()));
                        i += 2;
                    }
                    _ => {
                        return Err(IoError::syntax(
                            Location::field(path, Some(line), t),
                            "tag has no value (truncated file?)",
                        ))
                    }
                }
            }
            Tok::Value(v) => {
                return Err(IoError::syntax(
                    Location::line(path, line),
                    format!("value '{}' without a tag", v.text),
                ))
            }
        }
    }
    if in_save {
        return Err(IoError::syntax(
            Location::file(path),
            "save_ frame never closed (truncated file?)",
        ));
    }
    if blocks.is_empty() {
        return Err(IoError::syntax(
            Location::file(path),
            "no data_ block (empty or not a CIF file)",
        ));
    }
    Ok(blocks)
}

/// Record that `tag` is given at `line` of block `block`; an error naming both lines when the
/// block gave it before.
fn given_once(
    seen: &mut std::collections::HashMap<String, usize>,
    tag: &str,
    line: usize,
    block: &str,
    path: &str,
) -> Result<(), IoError> {
    match seen.insert(tag.to_string(), line) {
        Some(first) => Err(IoError::syntax(
            Location::field(path, Some(line), tag),
            format!(
                "{tag} is given twice in data block '{block}' (lines {first} and {line}): CIF \
                 allows one value per tag per block"
            ),
        )),
        None => Ok(()),
    }
}

/// Parse a CIF number, dropping a standard uncertainty in brackets: `0.25424(3)` → 0.25424.
pub fn parse_number(v: &Value) -> Option<f64> {
    let t = v.text.trim();
    let t = match t.find('(') {
        Some(k) => {
            if !t.ends_with(')') {
                return None;
            }
            let esd = &t[k + 1..t.len() - 1];
            if esd.is_empty() || !esd.bytes().all(|c| c.is_ascii_digit()) {
                return None;
            }
            &t[..k]
        }
        None => t,
    };
    let x: f64 = t.parse().ok()?;
    x.is_finite().then_some(x)
}

/// The standard uncertainty written in brackets after a number (`1.002(4)` → 0.004, `0.75(12)`
/// → 0.12, `5(1)` → 1), in the number's own units; `None` without brackets or when the value is
/// not a number.
pub fn parse_esd(v: &Value) -> Option<f64> {
    let t = v.text.trim();
    let k = t.find('(')?;
    parse_number(v)?;
    let digits: f64 = t[k + 1..t.len() - 1].parse().ok()?;
    let mantissa = t[..k].split(['e', 'E']).next()?;
    let exponent: i32 = t[..k]
        .split_once(['e', 'E'])
        .map_or(Some(0), |(_, e)| e.parse().ok())?;
    let decimals = mantissa.split_once('.').map_or(0, |(_, d)| d.len()) as i32;
    Some(digits * 10f64.powi(exponent - decimals))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn esd_in_the_numbers_units() {
        let v = |t: &str| Value {
            text: t.into(),
            line: 1,
            quoted: false,
        };
        for (t, e) in [
            ("1.002(4)", 0.004),
            ("0.75(12)", 0.12),
            ("5(1)", 1.0),
            ("1.5e-3(2)", 2e-4),
        ] {
            let got = parse_esd(&v(t)).unwrap();
            assert!((got - e).abs() < 1e-12, "{t}: {got}");
        }
        assert_eq!(parse_esd(&v("1.002")), None);
        assert_eq!(parse_esd(&v("x(4)")), None);
    }

    #[test]
    fn tokens_quotes_loops_and_text_fields() {
        let cif = "# comment\ndata_test\n_cell_length_a 5.13(2) # trailing\n_title 'it''s x'\n\
                   _note\n;\nline one\nline two\n;\nloop_\n_a\n_b\n1 'x y'\n2 \"z\"\n\
                   _space_group.name_H-M_alt 'P 1'\n";
        let blocks = parse_blocks(cif, "t.cif").unwrap();
        assert_eq!(blocks.len(), 1);
        let b = &blocks[0];
        assert_eq!(b.name, "test");
        let a = b.get("_cell_length_a").unwrap();
        assert_eq!(parse_number(a), Some(5.13));
        assert_eq!(a.line, 3);
        assert_eq!(b.get("_title").unwrap().text, "it''s x");
        assert_eq!(b.get("_note").unwrap().text, "line one\nline two");
        let l = b.find_loop("_b").unwrap();
        assert_eq!(l.num_rows(), 2);
        assert_eq!(l.row(0)[1].text, "x y");
        assert_eq!(l.row(1)[1].text, "z");
        assert_eq!(b.get("_space_group_name_h-m_alt").unwrap().text, "P 1");
    }

    #[test]
    fn truncated_inputs_are_errors_with_lines() {
        let e = parse_blocks("data_x\nloop_\n_a\n_b\n1 2\n3\n", "t.cif").unwrap_err();
        let msg = e.to_string();
        assert!(msg.contains("t.cif, line 6"), "{msg}");
        let e = parse_blocks("data_x\n_cell_length_a\n", "t.cif").unwrap_err();
        assert!(e.to_string().contains("field _cell_length_a"), "{e}");
        let e = parse_blocks("data_x\n_t\n;\nabc\n", "t.cif").unwrap_err();
        assert!(e.to_string().contains("line 3"), "{e}");
        assert!(parse_blocks("data_x\n_t 'abc\n", "t.cif").is_err());
        assert!(parse_blocks("", "t.cif").is_err());
        assert!(parse_blocks("_a 1\n", "t.cif").is_err());
        // a row short of a value in the middle of a loop written a row per line: that row's
        // line, not the last one
        let e = parse_blocks(
            "data_x\nloop_\n_a\n_b\n_c\n1 2 3\n4 5\n6 7 8\n9 10 11\n",
            "t.cif",
        )
        .unwrap_err();
        let msg = e.to_string();
        assert!(
            msg.contains("t.cif, line 7") && msg.contains("2 values for its 3 tags"),
            "{msg}"
        );
    }

    /// A tag given twice in one block (as items, in two loops, or as a DDLm alias) is refused
    /// with both lines; the same tag in two blocks is fine.
    #[test]
    fn a_tag_given_twice_in_a_block_is_refused() {
        let cases = [
            (
                "data_x\n_cell_length_a 7.0\n_cell_length_a 8.0\n",
                "lines 2 and 3",
            ),
            (
                "data_x\nloop_\n_atom_site_label\nLi1\nloop_\n_atom_site_label\nCl1\n",
                "lines 3 and 6",
            ),
            (
                "data_x\n_cell.length_a 7.0\n_cell_length_a 7.0\n",
                "lines 2 and 3",
            ),
            ("data_x\nloop_\n_a\n_a\n1 2\n", "lines 3 and 4"),
        ];
        for (cif, lines) in cases {
            let e = parse_blocks(cif, "t.cif").unwrap_err().to_string();
            assert!(
                e.contains("is given twice in data block 'x'") && e.contains(lines),
                "{e}"
            );
        }
        let two = parse_blocks(
            "data_x\n_cell_length_a 7\ndata_y\n_cell_length_a 8\n",
            "t.cif",
        );
        assert_eq!(two.unwrap().len(), 2);
    }

    #[test]
    fn esd_numbers() {
        let v = |t: &str| Value {
            text: t.into(),
            line: 1,
            quoted: false,
        };
        assert_eq!(parse_number(&v("0.25424(3)")), Some(0.25424));
        assert_eq!(parse_number(&v("-1.5e-2")), Some(-0.015));
        assert_eq!(parse_number(&v("10.4037(12)")), Some(10.4037));
        assert_eq!(parse_number(&v("0.1(")), None);
        assert_eq!(parse_number(&v("0.1(a)")), None);
        assert_eq!(parse_number(&v("abc")), None);
        assert_eq!(parse_number(&v("nan")), None);
    }
}
