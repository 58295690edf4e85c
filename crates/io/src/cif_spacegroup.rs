//! Symmetry operations from a CIF's space-group designation, for a file that names its group but
//! lists no operations (as pymatgen's CIF parser does). The Hall symbol
//! (`_space_group_name_Hall`), else the Hermann–Mauguin symbol (`_space_group_name_H-M_alt`,
//! `_symmetry_space_group_name_H-M`), else the International Tables number
//! (`_space_group_IT_number`, `_symmetry_Int_Tables_number`) is looked up among the 530 settings
//! of moyo's Hall-symbol database (spglib's; International Tables Vol. A), and the group is
//! generated from the Hall symbol: the coset representatives times the centring translations.
//! A Hall symbol must be one of those 530 (a non-standard origin shift is refused).
//!
//! A setting is never guessed where the guess could move atoms:
//! - a setting given with the symbol (`F d -3 m :2`, `R -3 m :H`) or as
//!   `_space_group_IT_coordinate_system_code` is used;
//! - two origin choices (Fd-3m, Pn-3m, …) the file does not choose between: refused;
//! - hexagonal or rhombohedral axes of an R group: chosen by the cell (a = b, γ = 120°:
//!   hexagonal; a = b = c, α = β = γ: rhombohedral), refused when the cell is neither;
//! - a short monoclinic symbol (`C2/m`, `P21/n`) names unique axis b, the convention of the short
//!   symbols;
//! - a number alone names a setting only when its group has one (225; not 12, 14, 62 or 227).
//!
//! A number given beside a symbol must name the same group. The operations generated are
//! reported in a reader note naming the tag, its line and the Hall symbol used.

use crate::cif::{StatedRows, SymOp};
use crate::cif_syntax::{Block, Value};
use crate::error::{IoError, Location};
use halo_core::Lattice;
use moyo::data::{hall_symbol_entry, HallSymbol, HallSymbolEntry, Setting};
use nalgebra::{Matrix3, Vector3};

const HALL_TAGS: [&str; 2] = ["_space_group_name_hall", "_symmetry_space_group_name_hall"];
const HM_TAGS: [&str; 2] = [
    "_space_group_name_h-m_alt",
    "_symmetry_space_group_name_h-m",
];
const NUMBER_TAGS: [&str; 2] = ["_space_group_it_number", "_symmetry_int_tables_number"];
const SETTING_TAG: &str = "_space_group_it_coordinate_system_code";

/// The tag, line and text of the first non-null value among `tags`.
fn first<'b>(block: &'b Block, tags: &[&'static str]) -> Option<(&'static str, &'b Value)> {
    tags.iter()
        .find_map(|&t| block.get(t).filter(|v| !v.is_null()).map(|v| (t, v)))
}

/// A Hermann–Mauguin symbol reduced for comparison: no blanks or underscores, upper case.
fn squash(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_whitespace() && *c != '_')
        .collect::<String>()
        .to_ascii_uppercase()
}

/// A setting written as a last word of the symbol, as some programs do: `S` and `Z` for origin
/// choices 1 and 2 (`F d -3 m Z`), `H` and `R` for the axes of an R group (`R -3 m H`).
fn trailing_setting(text: &str) -> (&str, Option<String>) {
    let t = text.trim_end();
    if let Some((head, last)) = t.rsplit_once(char::is_whitespace) {
        let code = match last {
            "S" | "s" => Some("1"),
            "Z" | "z" => Some("2"),
            "H" | "h" => Some("H"),
            "R" | "r" => Some("R"),
            _ => None,
        };
        if let Some(c) = code {
            return (head, Some(c.to_string()));
        }
    }
    (text, None)
}

/// A Hall symbol with its blanks folded to one: blanks separate its operators (`P 3 2` is not
/// `P 32`), so they are kept.
fn hall_words(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A monoclinic full symbol without its `1` placeholder axes (`P 1 2_1/n 1` → `P21/N`), the short
/// symbol of that setting.
fn short_of_full(full: &str) -> String {
    let mut parts = full.split_whitespace();
    let lattice = parts.next().unwrap_or("");
    let axes: Vec<&str> = parts.filter(|p| *p != "1").collect();
    squash(&format!("{lattice}{}", axes.concat()))
}

fn entries() -> impl Iterator<Item = HallSymbolEntry> {
    (1..=530).filter_map(hall_symbol_entry)
}

/// What a resolved designation gives: the Hall entry and the words for the note.
struct Resolved {
    entry: HallSymbolEntry,
    from: String,
    /// How the setting was told apart from the group's others, when the designation alone
    /// did not.
    chosen_by: Option<String>,
}

/// The operations of the group a file names without listing them; `Ok(None)` when it names
/// none (or P1), so the identity alone applies.
pub(crate) fn operations(
    block: &Block,
    path: &str,
    lattice: &Lattice,
    stated: &StatedRows,
) -> Result<Option<(Vec<SymOp>, String)>, IoError> {
    let hall = first(block, &HALL_TAGS);
    let hm = first(block, &HM_TAGS);
    let number = first(block, &NUMBER_TAGS);
    let setting_code = block
        .get(SETTING_TAG)
        .filter(|v| !v.is_null())
        .map(|v| v.text.trim().to_string());
    // the refusal, naming the tag and its line
    let refuse = |tag: &str, v: &Value, message: String| IoError::Unsupported {
        at: Location::field(path, Some(v.line), tag),
        message,
    };
    let resolved = if let Some((tag, v)) = hall {
        // only the database's own Hall symbols are parsed (moyo's parser is not made for
        // arbitrary text: an empty symbol panics in 0.22)
        let entry = entries()
            .find(|e| hall_words(e.hall_symbol).eq_ignore_ascii_case(&hall_words(&v.text)))
            .ok_or_else(|| {
                refuse(
                    tag,
                    v,
                    format!(
                        "'{}' is not the Hall symbol of one of the 530 settings of International \
                     Tables (a non-standard origin shift?) and no symmetry operations are \
                     listed: list them (_symmetry_equiv_pos_as_xyz)",
                        v.text
                    ),
                )
            })?;
        Resolved {
            entry,
            from: format!("{tag} '{}' (line {})", v.text, v.line),
            chosen_by: None,
        }
    } else if let Some((tag, v)) = hm {
        let (symbol, suffix) = match v.text.split_once(':') {
            Some((s, x)) => (s, Some(x.trim().to_string())),
            None => trailing_setting(&v.text),
        };
        let key = squash(symbol);
        if key == "P1" {
            return Ok(None);
        }
        let mut found: Vec<HallSymbolEntry> = entries()
            .filter(|e| squash(e.hm_full) == key || squash(e.hm_short) == key)
            .collect();
        if found.is_empty() {
            // a short monoclinic symbol of a non-standard setting (P 21/n, C 2/c …)
            found = entries()
                .filter(|e| (3..=15).contains(&e.number) && short_of_full(e.hm_full) == key)
                .collect();
        }
        if found.is_empty() {
            return Err(refuse(
                tag,
                v,
                format!(
                    "space group '{}' is not a Hermann–Mauguin symbol of International Tables \
                     and no symmetry operations are listed (_symmetry_equiv_pos_as_xyz or \
                     _space_group_symop_operation_xyz)",
                    v.text
                ),
            ));
        }
        let (entry, chosen_by) = choose(found, suffix.or(setting_code), lattice, &v.text, stated)
            .map_err(|m| refuse(tag, v, m))?;
        Resolved {
            entry,
            from: format!("{tag} '{}' (line {})", v.text, v.line),
            chosen_by,
        }
    } else if let Some((tag, v)) = number {
        let n = group_number(v).map_err(|m| refuse(tag, v, m))?;
        if n == 1 {
            return Ok(None);
        }
        let found: Vec<HallSymbolEntry> = entries().filter(|e| e.number == n).collect();
        let one_setting = found.len() == 1;
        let (entry, chosen_by) = if one_setting || setting_code.is_some() {
            choose(found, setting_code, lattice, &format!("number {n}"), stated)
        } else if let Some(chosen) = by_multiplicity(&found, lattice, stated) {
            Ok(chosen)
        } else {
            Err(format!(
                "space group {n} is given by its number alone and has {} settings ({}); no \
                 symmetry operations are listed: list them (_symmetry_equiv_pos_as_xyz), or give \
                 the Hermann–Mauguin symbol with its setting or the Hall symbol",
                found.len(),
                settings_list(&found)
            ))
        }
        .map_err(|m| refuse(tag, v, m))?;
        Resolved {
            entry,
            from: format!("{tag} {n} (line {})", v.line),
            chosen_by,
        }
    } else {
        return Ok(None);
    };
    // a number beside the symbol must name the same group
    if let (Some((tag, v)), true) = (number, hall.is_some() || hm.is_some()) {
        let n = group_number(v).map_err(|m| refuse(tag, v, m))?;
        if n != resolved.entry.number {
            return Err(refuse(
                tag,
                v,
                format!(
                    "space group number {n} contradicts {} (group {})",
                    resolved.from, resolved.entry.number
                ),
            ));
        }
    }
    if resolved.entry.number == 1 {
        return Ok(None);
    }
    let h = HallSymbol::new(resolved.entry.hall_symbol).ok_or_else(|| IoError::Unsupported {
        at: Location::file(path),
        message: format!(
            "moyo cannot read its own Hall symbol '{}'",
            resolved.entry.hall_symbol
        ),
    })?;
    let ops = group_operations(&h);
    let note = format!(
        "no symmetry operations listed: {} generated from {} as Hall '{}' (group {}, setting \
         '{}'{})",
        ops.len(),
        resolved.from,
        resolved.entry.hall_symbol,
        resolved.entry.number,
        resolved.entry.setting,
        resolved
            .chosen_by
            .map(|c| format!(", {c}"))
            .unwrap_or_default()
    );
    Ok(Some((ops, note)))
}

/// A note when the operations a file lists cannot be the group its number names: their count
/// is the order of none of that group's settings in the database (a file edited by hand, a
/// number copied from another phase). The listed operations are the ones used; pymatgen is
/// silent here. `None` when the file states no number or the count fits.
pub(crate) fn listed_operations_note(block: &Block, path: &str, n_listed: usize) -> Option<String> {
    let (tag, v) = first(block, &NUMBER_TAGS)?;
    let n = group_number(v).ok()?;
    let mut orders: Vec<usize> = entries()
        .filter(|e| e.number == n)
        .filter_map(|e| HallSymbol::new(e.hall_symbol))
        .map(|h| h.traverse().len() * h.centering.lattice_points().len())
        .collect();
    orders.sort_unstable();
    orders.dedup();
    if orders.is_empty() || orders.contains(&n_listed) {
        return None;
    }
    let orders: Vec<String> = orders.iter().map(|o| o.to_string()).collect();
    Some(format!(
        "{path}, line {}: {tag} states group {n}, whose settings have {} operations, but the file \
         lists {n_listed}: the listed operations are used; check which group the file is",
        v.line,
        orders.join(" or ")
    ))
}

/// A space-group number, 1–230; the reason when the value is none.
fn group_number(v: &Value) -> Result<i32, String> {
    match v.text.trim().parse::<i32>() {
        Ok(n) if (1..=230).contains(&n) => Ok(n),
        Ok(n) => Err(format!("{n} is not a space-group number (1–230)")),
        Err(_) => Err(format!("'{}' is not a space-group number (1–230)", v.text)),
    }
}

fn settings_list(found: &[HallSymbolEntry]) -> String {
    found
        .iter()
        .map(|e| format!("'{}' {}", e.setting, e.hm_full))
        .collect::<Vec<_>>()
        .join(", ")
}

/// One setting out of `found` (the entries a designation matches), by the file's setting code,
/// else by the rules of the module documentation.
fn choose(
    mut found: Vec<HallSymbolEntry>,
    code: Option<String>,
    lattice: &Lattice,
    what: &str,
    stated: &StatedRows,
) -> Result<(HallSymbolEntry, Option<String>), String> {
    if let Some(code) = code.filter(|c| !c.is_empty()) {
        let all = settings_list(&found);
        found.retain(|e| e.setting.eq_ignore_ascii_case(&code));
        return found
            .into_iter()
            .next()
            .map(|e| (e, None))
            .ok_or_else(|| format!("{what} has no setting '{code}'; its settings: {all}"));
    }
    if found.len() == 1 {
        return Ok((found.remove(0), None));
    }
    let settings: Vec<&str> = found.iter().map(|e| e.setting).collect();
    if settings.iter().all(|s| *s == "1" || *s == "2") {
        if let Some(chosen) = by_multiplicity(&found, lattice, stated) {
            return Ok(chosen);
        }
        return Err(format!(
            "space group '{what}' has two origin choices (Hall '{}' and '{}') and the file lists \
             no symmetry operations (and no stated multiplicities that tell them apart): list \
             them (_symmetry_equiv_pos_as_xyz), or give the origin as '{what} :1' or ':2' (or \
             _space_group_IT_coordinate_system_code)",
            found[0].hall_symbol, found[1].hall_symbol
        ));
    }
    if settings.iter().all(|s| *s == "H" || *s == "R") {
        let [a, b, c] = lattice.abc();
        let [al, be, ga] = lattice.angles_deg();
        let close = |x: f64, y: f64, tol: f64| (x - y).abs() <= tol;
        let hexagonal = close(a, b, 1e-3 * a)
            && close(al, 90.0, 0.01)
            && close(be, 90.0, 0.01)
            && close(ga, 120.0, 0.01);
        let rhombohedral = close(a, b, 1e-3 * a)
            && close(b, c, 1e-3 * a)
            && close(al, be, 0.01)
            && close(be, ga, 0.01);
        let want = match (hexagonal, rhombohedral) {
            (true, false) => "H",
            (false, true) => "R",
            _ => {
                return Err(format!(
                    "space group '{what}' on hexagonal or rhombohedral axes: the cell is neither \
                     (a = b, γ = 120° or a = b = c, α = β = γ); list the symmetry operations or \
                     give ':H' or ':R'"
                ))
            }
        };
        return found
            .into_iter()
            .find(|e| e.setting == want)
            .map(|e| (e, Some(format!("axes '{want}' from the cell"))))
            .ok_or_else(|| format!("space group '{what}' has no setting '{want}'"));
    }
    // a short monoclinic symbol: unique axis b (the standard setting first)
    if found.iter().all(|e| (3..=15).contains(&e.number)) {
        let standard = Setting::Standard.hall_number(found[0].number);
        if let Some(e) = found.iter().find(|e| Some(e.hall_number) == standard) {
            return Ok((e.clone(), Some("unique axis b, the short symbol's".into())));
        }
        let b: Vec<HallSymbolEntry> = found
            .iter()
            .filter(|e| e.setting.starts_with('b'))
            .cloned()
            .collect();
        if b.len() == 1 {
            return Ok((
                b[0].clone(),
                Some("unique axis b, the short symbol's".into()),
            ));
        }
    }
    if let Some(chosen) = by_multiplicity(&found, lattice, stated) {
        return Ok(chosen);
    }
    Err(format!(
        "space group '{what}' fits {} settings ({}) and the file lists no symmetry operations: \
         list them (_symmetry_equiv_pos_as_xyz), or give the setting or the Hall symbol",
        found.len(),
        settings_list(&found)
    ))
}

/// The one setting among `found` under whose operations every row that states a multiplicity
/// has that many images; `None` when no row states one, or when none or several settings fit.
fn by_multiplicity(
    found: &[HallSymbolEntry],
    lattice: &Lattice,
    stated: &StatedRows,
) -> Option<(HallSymbolEntry, Option<String>)> {
    let fits: Vec<&HallSymbolEntry> = found
        .iter()
        .filter(|e| {
            HallSymbol::new(e.hall_symbol)
                .is_some_and(|h| stated.all_match(&group_operations(&h), lattice))
        })
        .collect();
    match fits.as_slice() {
        [one] => Some((
            (*one).clone(),
            Some(format!(
                "the one of its {} settings that gives every row its stated \
                 _atom_site_symmetry_multiplicity",
                found.len()
            )),
        )),
        _ => None,
    }
}

/// Every operation of the group: the coset representatives (moyo's `traverse`) times the
/// centring translations, translations reduced to [0, 1).
fn group_operations(h: &HallSymbol) -> Vec<SymOp> {
    let mut ops = Vec::new();
    let lattice_points = h.centering.lattice_points();
    for op in h.traverse() {
        // moyo's nalgebra is not this workspace's: copy the entries
        let r = Matrix3::from_fn(|i, j| op.rotation[(i, j)] as f64);
        for t in &lattice_points {
            let tr = Vector3::from_fn(|i, _| (op.translation[i] + t[i]).rem_euclid(1.0));
            ops.push(SymOp {
                rotation: r,
                translation: tr,
            });
        }
    }
    ops
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The comparison forms never make two different symbols of the database alike: Hall
    /// symbols compared by words without case (the database lists a few twice, for settings that
    /// coincide), and Hermann–Mauguin symbols reduced without blanks and underscores only within
    /// one group (its settings share the short symbol; `choose` tells them apart).
    #[test]
    fn comparison_forms_keep_the_database_apart() {
        let all: Vec<HallSymbolEntry> = entries().collect();
        assert_eq!(all.len(), 530);
        for (i, a) in all.iter().enumerate() {
            for b in &all[..i] {
                if hall_words(a.hall_symbol).eq_ignore_ascii_case(&hall_words(b.hall_symbol)) {
                    assert_eq!(hall_words(a.hall_symbol), hall_words(b.hall_symbol));
                }
                for (x, y) in [
                    (a.hm_full, b.hm_full),
                    (a.hm_short, b.hm_short),
                    (a.hm_full, b.hm_short),
                    (a.hm_short, b.hm_full),
                ] {
                    if squash(x) == squash(y) {
                        assert_eq!(a.number, b.number, "'{x}' / '{y}'");
                    }
                }
                if (3..=15).contains(&a.number)
                    && (3..=15).contains(&b.number)
                    && short_of_full(a.hm_full) == short_of_full(b.hm_full)
                {
                    assert_eq!(a.number, b.number, "{} / {}", a.hm_full, b.hm_full);
                }
            }
        }
        // the collision that folding the blanks away made
        assert_ne!(hall_words("P 3 2"), hall_words("P 32"));
    }
}
