//! CIF text for the reader's tests.

/// One data block: the cell `[a, b, c]` (Å) and `[α, β, γ]` (°) on lines 2–7, the `group` lines
/// from line 8 (a space-group designation, one or more tag lines, or nothing), then the
/// `_atom_site_` loop with the label and `columns` (tag suffixes: `type_symbol`, `fract_x`, …)
/// and its `rows`.
pub fn cif_text(cell: [f64; 6], group: &str, columns: &[&str], rows: &[&str]) -> String {
    let mut t = format!(
        "data_x\n_cell_length_a {}\n_cell_length_b {}\n_cell_length_c {}\n\
         _cell_angle_alpha {}\n_cell_angle_beta {}\n_cell_angle_gamma {}\n",
        cell[0], cell[1], cell[2], cell[3], cell[4], cell[5]
    );
    if !group.is_empty() {
        t.push_str(group);
        t.push('\n');
    }
    t.push_str("loop_\n_atom_site_label\n");
    for c in columns {
        t.push_str(&format!("_atom_site_{c}\n"));
    }
    for r in rows {
        t.push_str(r);
        t.push('\n');
    }
    t
}
