//! The input files of `halo validate`: the validation set, the refined Li sites to compare
//! occupancies with, and the structures the calibration rows were measured on. Every file is
//! checked before any work; a bad row is named with its file and line.

use crate::error::CampaignError;
use halo_core::{Composition, Element};
use serde::Serialize;
use std::path::{Path, PathBuf};

/// One row of the validation set (`tests/validation/validation_set.csv`).
#[derive(Clone, Debug, Serialize, serde::Deserialize)]
pub struct SetRow {
    pub id: String,
    /// The `file` column as written (relative to the set's folder).
    pub file: String,
    #[serde(skip)]
    pub path: PathBuf,
    pub formula: String,
    pub sigma_rt_s_per_cm: f64,
    pub ea_ev: Option<f64>,
    pub temperature_c: Option<f64>,
    pub structure_kind: String,
    pub perturbed: String,
    pub structure_source: String,
    pub conductivity_reference: String,
    pub notes: String,
    /// Line in the CSV file.
    pub line: usize,
}

/// A refined Li site whose predicted occupancy is compared with the refinement.
#[derive(Clone, Debug, Serialize)]
pub struct SiteRow {
    pub file: String,
    #[serde(skip)]
    pub path: PathBuf,
    /// The CIF `_atom_site_label`.
    pub label: String,
    /// The Wyckoff position as the publication names it.
    pub wyckoff: String,
    pub source: String,
}

/// A calibration row of `conductivity_calibration.csv` and the structure it was measured on.
#[derive(Clone, Debug, Serialize)]
pub struct CalibrationPair {
    pub composition: String,
    pub file: String,
    #[serde(skip)]
    pub path: PathBuf,
    pub sigma_rt_s_per_cm: f64,
    pub source: String,
}

struct Table {
    path: PathBuf,
    headers: Vec<String>,
    rows: Vec<(usize, csv::StringRecord)>,
}

/// The physical line (1-based) of byte `byte` of `text`: the csv reader's own line count skips
/// blank lines, which put error messages lines off.
fn line_of(text: &str, byte: u64, comments: bool) -> usize {
    let bytes = text.as_bytes();
    // the reader's position is where it began reading the record, before the blank (and
    // comment) lines it skipped: move past them to the record itself
    let mut end = (byte as usize).min(bytes.len());
    loop {
        while end < bytes.len() && matches!(bytes[end], b'\n' | b'\r') {
            end += 1;
        }
        if comments && end < bytes.len() && bytes[end] == b'#' {
            while end < bytes.len() && bytes[end] != b'\n' {
                end += 1;
            }
            continue;
        }
        break;
    }
    1 + bytes[..end].iter().filter(|&&b| b == b'\n').count()
}

/// Levenshtein distance of two short names (column names), for "did you mean".
fn edit_distance(a: &str, b: &str) -> usize {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            cur[j + 1] = (prev[j] + usize::from(ca != cb))
                .min(prev[j + 1] + 1)
                .min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

impl Table {
    /// Read a comma-separated table with a header. `required` columns must be there; `known`
    /// are the other columns halo reads. A column that is neither but is spelled like one of
    /// them (another case, a slip of one or two letters: `temperature_C`, `ea_eV`) is refused,
    /// since its values would be ignored without a word (a 90 °C row scored as room
    /// temperature); other unknown columns are free-form, as documented. `comments`: lines
    /// starting with `#` are comments (the energy, sites and calibration tables, whose first
    /// column is a file or a formula); the validation set has none, since an id such as `#7` is
    /// a row there (it vanished as a comment).
    fn read(
        path: &Path,
        required: &[&str],
        known: &[&str],
        comments: bool,
    ) -> Result<Table, CampaignError> {
        let text = std::fs::read_to_string(path).map_err(|e| CampaignError::io(path, e))?;
        let mut rdr = csv::ReaderBuilder::new()
            .has_headers(true)
            .comment(comments.then_some(b'#'))
            .from_reader(text.as_bytes());
        let bad = |line: usize, reason: String| CampaignError::Config {
            path: path.to_path_buf(),
            reason: format!("line {line}: {reason}"),
        };
        let headers: Vec<String> = rdr
            .headers()
            .map_err(|e| bad(1, e.to_string()))?
            .iter()
            .map(|h| h.trim().to_string())
            .collect();
        for (i, h) in headers.iter().enumerate() {
            if !h.is_empty() && headers[..i].contains(h) {
                return Err(bad(1, format!("column '{h}' appears twice")));
            }
        }
        for r in required {
            if !headers.iter().any(|h| h == r) {
                let hint = if headers.len() == 1 && headers[0].contains(';') {
                    " (the header is one column with ';' in it: the table must be comma-separated)"
                } else {
                    ""
                };
                return Err(bad(1, format!("missing column '{r}'{hint}")));
            }
        }
        let read: Vec<&str> = required.iter().chain(known).copied().collect();
        for h in headers.iter().filter(|h| !read.contains(&h.as_str())) {
            let lower = h.to_ascii_lowercase();
            if let Some(meant) = read
                .iter()
                .find(|k| **k == lower || (k.len() >= 6 && edit_distance(&lower, k) <= 2))
            {
                // a temperature in kelvin is not a slip of the °C column's name
                let kelvin = if *meant == "temperature_c" && lower.ends_with("_k") {
                    " (it is in °C: K − 273.15)"
                } else {
                    ""
                };
                return Err(bad(
                    1,
                    format!(
                        "column '{h}' is not read (its values would be ignored): did you mean \
                         '{meant}'?{kelvin}"
                    ),
                ));
            }
        }
        let mut rows = Vec::new();
        for rec in rdr.records() {
            let rec = rec.map_err(|e| {
                let line = e
                    .position()
                    .map(|p| line_of(&text, p.byte(), comments))
                    .unwrap_or(0);
                bad(line, e.to_string())
            })?;
            let line = rec
                .position()
                .map(|p| line_of(&text, p.byte(), comments))
                .unwrap_or(0);
            rows.push((line, rec));
        }
        Ok(Table {
            path: path.to_path_buf(),
            headers,
            rows,
        })
    }

    fn get<'a>(&self, rec: &'a csv::StringRecord, col: &str) -> &'a str {
        self.headers
            .iter()
            .position(|h| h == col)
            .and_then(|i| rec.get(i))
            .map(str::trim)
            .unwrap_or("")
    }

    fn err(&self, line: usize, reason: String) -> CampaignError {
        CampaignError::Config {
            path: self.path.clone(),
            reason: format!("line {line}: {reason}"),
        }
    }

    fn resolve(&self, file: &str) -> PathBuf {
        let p = Path::new(file);
        if p.is_absolute() {
            p.to_path_buf()
        } else {
            self.path.parent().unwrap_or(Path::new(".")).join(p)
        }
    }

    fn number(&self, line: usize, col: &str, text: &str) -> Result<Option<f64>, CampaignError> {
        if text.is_empty() {
            return Ok(None);
        }
        let v: f64 = text
            .parse()
            .map_err(|_| self.err(line, format!("{col} '{text}' is not a number")))?;
        if !v.is_finite() {
            return Err(self.err(line, format!("{col} '{text}' is not finite")));
        }
        Ok(Some(v))
    }

    /// The file a row names, resolved against the table's folder; the reason when it is empty
    /// or missing (the caller names the line, and the row where it has one).
    fn existing_file(&self, file: &str) -> Result<PathBuf, String> {
        if file.is_empty() {
            return Err("empty 'file'".into());
        }
        let p = self.resolve(file);
        if !p.is_file() {
            return Err(format!("structure file {} not found", p.display()));
        }
        Ok(p)
    }
}

/// The largest measured σ a row may give, S/cm: above every Li-ion solid electrolyte reported
/// (Li9.54Si1.74P1.44S11.7Cl0.3, 0.025 S/cm; Kato et al., Nat. Energy 1, 16030 (2016)), so a
/// larger value is a unit slip (mS/cm).
pub const MAX_MEASURED_SIGMA_S_PER_CM: f64 = 0.1;
/// The largest measured Ea a row may give, eV (a larger value is meV or kJ/mol).
pub const MAX_MEASURED_EA_EV: f64 = 3.0;
/// The measurement temperatures a row is scored at, °C: room temperature, which the predicted
/// σ(300 K) (26.85 °C) stands for; a row measured elsewhere is a failed row that says so.
pub const ROOM_TEMPERATURE_C: std::ops::RangeInclusive<f64> = 15.0..=40.0;

/// Read and check the validation set. Rows without a positive measured σ, rows of another
/// mobile ion (a `mobile_ion` column other than Li, or a formula without Li) and rows whose
/// structure file is missing are refused, naming the row.
/// The validation set's required columns.
const SET_REQUIRED: [&str; 4] = ["id", "file", "formula", "sigma_rt_s_per_cm"];

/// The validation set's other columns halo reads or knows.
const SET_KNOWN: [&str; 8] = [
    "ea_ev",
    "temperature_c",
    "mobile_ion",
    "structure_kind",
    "perturbed",
    "structure_source",
    "conductivity_reference",
    "notes",
];

/// Words that make a column a note about the measurement, not a value (`conductivity_doi`,
/// `ea_source`, `temperature_method`): such columns stay free-form.
const NOTE_WORDS: [&str; 8] = [
    "source", "ref", "note", "doi", "comment", "method", "url", "cite",
];

/// Refuse a free-form column of the validation set that carries what a row's numbers depend on
/// and that halo does not read from it: a unit (`sigma_unit = mS/cm` scored 0.05 mS/cm as 0.05
/// S/cm, 5.8 decades off), a temperature under another name (`T_C = 90` scored as room
/// temperature) or an activation energy in other units (`ea_mev`: the E_a MAE silently "–").
fn measurement_columns_read(t: &Table) -> Result<(), CampaignError> {
    for h in &t.headers {
        if SET_REQUIRED.contains(&h.as_str()) || SET_KNOWN.contains(&h.as_str()) {
            continue;
        }
        let l = h.to_ascii_lowercase();
        let why = if l == "temperature_k" || l == "t_k" || l == "temp_k" {
            Some(
                "a temperature in kelvin is not read: give it in °C as temperature_c (K − 273.15)"
                    .to_string(),
            )
        } else if l.contains("unit") {
            Some(
                "units are not read from a column: give σ in S/cm (sigma_rt_s_per_cm), E_a in eV \
                 (ea_ev) and the temperature in °C (temperature_c)"
                    .to_string(),
            )
        } else if NOTE_WORDS.iter().any(|w| l.contains(w)) {
            // a note about the measurement (its source, method, reference): free-form
            None
        } else if l.contains("temp") || l == "t" || l.starts_with("t_") {
            Some(
                "a measurement temperature is read from temperature_c (°C; blank for room \
                 temperature) only"
                    .to_string(),
            )
        } else if l.contains("mev")
            || l.contains("activation")
            || l == "ea"
            || (l.starts_with("ea_") && l != "ea_ev")
        {
            Some("an activation energy is read from ea_ev (eV) only".to_string())
        } else if (l.starts_with("sigma") || l.contains("conductivity")) && l != "sigma_rt_s_per_cm"
        {
            Some("the conductivity is read from sigma_rt_s_per_cm (S/cm) only".to_string())
        } else {
            None
        };
        if let Some(why) = why {
            return Err(t.err(
                1,
                format!(
                    "column '{h}' is not read and its values would change the scores: {why} \
                     (rename it if it is a note)"
                ),
            ));
        }
    }
    Ok(())
}

pub fn read_set(path: &Path) -> Result<Vec<SetRow>, CampaignError> {
    let t = Table::read(path, &SET_REQUIRED, &SET_KNOWN, false)?;
    measurement_columns_read(&t)?;
    let li = Element::LI;
    let mut out: Vec<SetRow> = Vec::new();
    for (line, rec) in &t.rows {
        let line = *line;
        let id = t.get(rec, "id").to_string();
        if id.is_empty() {
            return Err(t.err(line, "empty id".into()));
        }
        if out.iter().any(|r| r.id == id) {
            return Err(t.err(line, format!("row '{id}': the id appears twice")));
        }
        let named = |reason: String| t.err(line, format!("row '{id}': {reason}"));
        let mobile = t.get(rec, "mobile_ion");
        if !mobile.is_empty() && !matches!(mobile, "Li" | "Li+" | "Li1+") {
            return Err(named(format!(
                "mobile ion '{mobile}': halo validate measures Li-ion conductors only"
            )));
        }
        let formula = t.get(rec, "formula").to_string();
        let comp =
            Composition::parse(&formula).map_err(|e| named(format!("formula '{formula}': {e}")))?;
        if comp.amount_of(li) <= 0.0 {
            return Err(named(format!(
                "formula '{formula}' has no Li: halo validate measures Li-ion conductors only"
            )));
        }
        let sigma = t.number(line, "sigma_rt_s_per_cm", t.get(rec, "sigma_rt_s_per_cm"))?;
        let sigma = match sigma {
            Some(s) if s > MAX_MEASURED_SIGMA_S_PER_CM => {
                return Err(named(format!(
                    "measured σ {s} S/cm is above any Li-ion solid electrolyte's (the best \
                     sulfides reach about 0.03 S/cm; the limit is \
                     {MAX_MEASURED_SIGMA_S_PER_CM} S/cm): is it in mS/cm? The column is S/cm"
                )))
            }
            Some(s) if s > 0.0 => s,
            Some(s) => return Err(named(format!("measured σ {s} S/cm is not positive"))),
            None => return Err(named("no measured σ (sigma_rt_s_per_cm is blank)".into())),
        };
        let ea = t.number(line, "ea_ev", t.get(rec, "ea_ev"))?;
        if let Some(e) = ea {
            if e <= 0.0 {
                return Err(named(format!("measured Ea {e} eV is not positive")));
            }
            if e > MAX_MEASURED_EA_EV {
                return Err(named(format!(
                    "measured Ea {e} eV is above {MAX_MEASURED_EA_EV} eV, no activation energy of \
                     ionic conduction: is it in meV or kJ/mol? The column is eV"
                )));
            }
        }
        // a temperature outside room temperature fails its row (score::score_row), the rest
        // of the set runs
        let temperature_c = t.number(line, "temperature_c", t.get(rec, "temperature_c"))?;
        let file = t.get(rec, "file").to_string();
        let path = t.existing_file(&file).map_err(named)?;
        out.push(SetRow {
            id,
            file,
            path,
            formula,
            sigma_rt_s_per_cm: sigma,
            ea_ev: ea,
            temperature_c,
            structure_kind: t.get(rec, "structure_kind").into(),
            perturbed: t.get(rec, "perturbed").into(),
            structure_source: t.get(rec, "structure_source").into(),
            conductivity_reference: t.get(rec, "conductivity_reference").into(),
            notes: t.get(rec, "notes").into(),
            line,
        });
    }
    if out.is_empty() {
        return Err(CampaignError::Config {
            path: path.to_path_buf(),
            reason: "no rows".into(),
        });
    }
    Ok(out)
}

/// Read the refined Li sites (`file,label,wyckoff,source`).
pub fn read_sites(path: &Path) -> Result<Vec<SiteRow>, CampaignError> {
    let t = Table::read(path, &["file", "label", "wyckoff"], &["source"], true)?;
    t.rows
        .iter()
        .map(|(line, rec)| {
            let file = t.get(rec, "file").to_string();
            let label = t.get(rec, "label").to_string();
            if label.is_empty() {
                return Err(t.err(*line, "empty label".into()));
            }
            Ok(SiteRow {
                path: t.existing_file(&file).map_err(|e| t.err(*line, e))?,
                file,
                label,
                wyckoff: t.get(rec, "wyckoff").into(),
                source: t.get(rec, "source").into(),
            })
        })
        .collect()
}

/// Read the calibration pairs (`composition,file,source`); each composition must be a row of
/// `conductivity_calibration.csv` with a measured σ.
pub fn read_calibration(path: &Path) -> Result<Vec<CalibrationPair>, CampaignError> {
    let t = Table::read(path, &["composition", "file"], &["source"], true)?;
    t.rows
        .iter()
        .map(|(line, rec)| {
            let composition = t.get(rec, "composition").to_string();
            let row = halo_data::calibration::ionic_row(&composition).ok_or_else(|| {
                t.err(
                    *line,
                    format!("'{composition}' is not a row of conductivity_calibration.csv"),
                )
            })?;
            let sigma = row.sigma_rt_s_per_cm.filter(|s| *s > 0.0).ok_or_else(|| {
                t.err(
                    *line,
                    format!("'{composition}' has no measured σ in conductivity_calibration.csv"),
                )
            })?;
            let file = t.get(rec, "file").to_string();
            Ok(CalibrationPair {
                path: t.existing_file(&file).map_err(|e| t.err(*line, e))?,
                file,
                composition,
                sigma_rt_s_per_cm: sigma,
                source: t.get(rec, "source").into(),
            })
        })
        .collect()
}

/// Site energies and hop barriers from another model for one structure of a validation
/// (`halo validate --energies TABLE`; docs/physics.md §9.14): every run of that structure file —
/// row, calibration pair, site-table entry, noisy copy — puts them on its network.
#[derive(Clone, Debug)]
pub struct EnergyFiles {
    /// The structure file as the table writes it.
    pub file: String,
    /// The structure file (resolved against the table's folder).
    pub path: PathBuf,
    /// `halo kmc --site-energies` file.
    pub site_energies: Option<std::sync::Arc<halo_io::site_energies::SiteEnergies>>,
    /// `halo kmc --hop-barriers` file.
    pub hop_barriers: Option<std::sync::Arc<halo_io::site_energies::HopBarriers>>,
}

impl EnergyFiles {
    /// What the structure's run used, for the outputs: `site energies F (n of N minima
    /// addressed); hop barriers G (m of M hops set)`, the counts from the run `tr` when it
    /// finished (minima no row addresses keep the landscape's energies).
    pub fn describe(&self, tr: Option<&crate::transport::Transport>) -> String {
        let mut parts = Vec::new();
        if let Some(s) = &self.site_energies {
            let mut p = format!("site energies {}", s.path);
            if let Some(r) = tr.and_then(|t| t.site_energies.as_ref()) {
                p += &format!(
                    " ({} of {} minima addressed)",
                    r.minima - r.unaddressed_minima,
                    r.minima
                );
            }
            parts.push(p);
        }
        if let Some(h) = &self.hop_barriers {
            let mut p = format!("hop barriers {}", h.path);
            if let Some(r) = tr.and_then(|t| t.hop_barriers.as_ref()) {
                p += &format!(" ({} of {} hops set)", r.hops - r.unaddressed_hops, r.hops);
            }
            parts.push(p);
        }
        parts.join("; ")
    }
}

/// Read the energy table (CSV: `file`, `site_energies`, `hop_barriers`; paths relative to the
/// table's folder; either energy column may be blank, not both). Every file is read and checked
/// here; an error names the table's line (and the energy file's own line). A structure listed
/// twice is refused.
pub fn read_energy_table(path: &Path) -> Result<Vec<EnergyFiles>, CampaignError> {
    let t = Table::read(path, &["file"], &["site_energies", "hop_barriers"], true)?;
    let mut out: Vec<EnergyFiles> = Vec::new();
    for (line, rec) in &t.rows {
        let line = *line;
        let file = t.get(rec, "file").to_string();
        let structure = t.existing_file(&file).map_err(|e| t.err(line, e))?;
        let canon = structure
            .canonicalize()
            .unwrap_or_else(|_| structure.clone());
        if let Some(prev) = out
            .iter()
            .find(|e| e.path.canonicalize().unwrap_or_else(|_| e.path.clone()) == canon)
        {
            return Err(t.err(
                line,
                format!("{file}: listed twice (also as {})", prev.file),
            ));
        }
        let read = |col: &str| -> Result<Option<PathBuf>, CampaignError> {
            let v = t.get(rec, col);
            Ok((!v.is_empty()).then(|| t.resolve(v)))
        };
        let wrap = |e: halo_io::IoError| t.err(line, e.to_string());
        let site_energies = read("site_energies")?
            .map(|p| halo_io::site_energies::read_site_energies(&p).map(std::sync::Arc::new))
            .transpose()
            .map_err(wrap)?;
        let hop_barriers = read("hop_barriers")?
            .map(|p| halo_io::site_energies::read_hop_barriers(&p).map(std::sync::Arc::new))
            .transpose()
            .map_err(wrap)?;
        if site_energies.is_none() && hop_barriers.is_none() {
            return Err(t.err(
                line,
                format!("{file}: neither site_energies nor hop_barriers given"),
            ));
        }
        out.push(EnergyFiles {
            file,
            path: structure,
            site_energies,
            hop_barriers,
        });
    }
    Ok(out)
}

/// Whether two formulas name the same composition: the same amount of every element per
/// formula unit as written, within 1e-3 (so `Li2In1/3Sc1/3Cl4` and `Li2In0.333Sc0.333Cl4` are
/// one material, while `Li3ScCl6` and `Li2Sc2/3Cl4`, two phases written with different formula
/// units, are two).
pub fn same_composition(a: &str, b: &str) -> bool {
    let (Ok(ca), Ok(cb)) = (Composition::parse(a), Composition::parse(b)) else {
        return a == b;
    };
    let amounts = |c: &Composition| {
        let mut v = c.element_amounts();
        v.sort_by_key(|(e, _)| e.symbol());
        v
    };
    let (fa, fb) = (amounts(&ca), amounts(&cb));
    fa.len() == fb.len()
        && fa
            .iter()
            .zip(&fb)
            .all(|((ea, xa), (eb, xb))| ea == eb && (xa - xb).abs() < 1e-3)
}

/// Formulas grouped into compositions by [`same_composition`] taken transitively (union-find),
/// so that grouping does not depend on the order of the rows: `Li2In0.333Sc0.333Cl4` and
/// `Li2In0.334Sc0.334Cl4` are each within 1e-3 of `Li2In1/3Sc1/3Cl4` but not of each other, and
/// the pairwise rule put the third row into two compositions and left one spelling's
/// calibration pair in the other's leave-one-composition-out refit.
#[derive(Clone, Debug, Default)]
pub struct CompositionGroups {
    formulas: Vec<String>,
    group: Vec<usize>,
}

impl CompositionGroups {
    /// The groups of `formulas` (each distinct formula once; groups numbered by first
    /// appearance).
    pub fn new<'a>(formulas: impl IntoIterator<Item = &'a str>) -> CompositionGroups {
        let mut distinct: Vec<String> = Vec::new();
        for f in formulas {
            if !distinct.iter().any(|d| d == f) {
                distinct.push(f.to_string());
            }
        }
        let n = distinct.len();
        let mut parent: Vec<usize> = (0..n).collect();
        fn root(p: &mut [usize], mut i: usize) -> usize {
            while p[i] != i {
                p[i] = p[p[i]];
                i = p[i];
            }
            i
        }
        for i in 0..n {
            for j in 0..i {
                if same_composition(&distinct[i], &distinct[j]) {
                    let (a, b) = (root(&mut parent, i), root(&mut parent, j));
                    // the earlier formula is the root: groups keep first-appearance order
                    parent[a.max(b)] = a.min(b);
                }
            }
        }
        let group = (0..n).map(|i| root(&mut parent, i)).collect();
        CompositionGroups {
            formulas: distinct,
            group,
        }
    }

    /// The group of `f` (the index of its group's first formula), if `f` is one of the formulas.
    pub fn group_of(&self, f: &str) -> Option<usize> {
        self.formulas
            .iter()
            .position(|x| x == f)
            .map(|i| self.group[i])
    }

    /// Whether `a` and `b` are one composition: in one group, or by [`same_composition`] when
    /// either is not one of the formulas.
    pub fn same(&self, a: &str, b: &str) -> bool {
        match (self.group_of(a), self.group_of(b)) {
            (Some(x), Some(y)) => x == y,
            _ => same_composition(a, b),
        }
    }
}

/// How far apart two compositions are per atom: the largest difference of an element's atomic
/// fraction (1 for disjoint elements), or `None` when either does not parse.
pub fn atomic_fraction_distance(a: &str, b: &str) -> Option<f64> {
    let (ca, cb) = (Composition::parse(a).ok()?, Composition::parse(b).ok()?);
    let (na, nb) = (ca.num_atoms(), cb.num_atoms());
    if na <= 0.0 || nb <= 0.0 {
        return None;
    }
    let mut els = ca.elements();
    els.extend(cb.elements());
    Some(
        els.into_iter()
            .map(|e| (ca.amount_of(e) / na - cb.amount_of(e) / nb).abs())
            .fold(0.0, f64::max),
    )
}

/// The largest [`atomic_fraction_distance`] between a row's formula and its structure file's
/// composition that is one material: a refinement's occupancies may differ from the nominal
/// formula by a few per cent of an atom (0.015 for the seed spinel), a wrong file by far more.
pub const FORMULA_MATCH_TOLERANCE: f64 = 0.05;

/// Pairs of formulas in `formulas` that are one composition per atom but written with
/// different formula units (`Li3ScCl6` and `Li2Sc2/3Cl4`): [`same_composition`] takes them as
/// two materials (two phases), so leave-one-composition-out does not leave one out for the
/// other. One note per pair, for the report.
pub fn composition_notes<'a>(formulas: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    let mut seen: Vec<&str> = Vec::new();
    let mut notes = Vec::new();
    for f in formulas {
        if seen.iter().any(|g| same_composition(f, g)) {
            continue;
        }
        for g in &seen {
            // 1e-4 in any atomic fraction: a rounded fraction (Sc0.667 for 2/3: 5e-5) is the same
            // composition, a doped neighbour (Li2Zr0.99Cl6 against Li2ZrCl6: 1e-3) is not
            if atomic_fraction_distance(f, g).is_some_and(|d| d < 1e-4) {
                notes.push(format!(
                    "{g} and {f} are the same composition per atom, written with different \
                     formula units: they are scored as two materials (two phases), and \
                     leave-one-composition-out does not leave one out for the other. If they \
                     are one material, write them alike"
                ));
            }
        }
        seen.push(f);
    }
    notes
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Lines are the file's own, blank lines counted (the csv reader's position is where it
    /// began reading, before the blank lines it skipped), and comment lines where the table has
    /// them; read through `Table::read` itself.
    #[test]
    fn records_are_named_by_their_physical_line() {
        let dir = tempfile::tempdir().unwrap();
        let lines = |text: &str, comments: bool| -> Vec<usize> {
            let p = dir.path().join("t.csv");
            std::fs::write(&p, text).unwrap();
            let t = Table::read(&p, &[], &[], comments).unwrap();
            t.rows.iter().map(|(line, _)| *line).collect()
        };
        assert_eq!(lines("id,x\n\n\na,1\n\n\r\n\nb,2\n", false), vec![4, 8]);
        assert_eq!(
            lines("file,x\n# a comment\n\na,1\n# another\nb,2\n", true),
            vec![4, 6]
        );
        // without comment lines, a '#' first field is a record
        assert_eq!(lines("id,x\n#7,1\n", false), vec![2]);
    }

    #[test]
    fn edit_distance_counts_single_edits() {
        assert_eq!(edit_distance("temperature_c", "temperature_c"), 0);
        assert_eq!(edit_distance("tempreature_c", "temperature_c"), 2);
        assert_eq!(edit_distance("ea_ev", "ea"), 3);
    }

    #[test]
    fn a_formula_unit_multiple_is_noted_and_a_wrong_file_is_far() {
        let notes = composition_notes([
            "Li2In1/3Sc1/3Cl4",
            "Li2In0.333Sc0.333Cl4",
            "Li6InScCl12",
            "LiI",
        ]);
        assert_eq!(notes.len(), 1, "{notes:?}");
        assert!(notes[0].contains("Li6InScCl12"), "{}", notes[0]);
        // a doped neighbour is another composition, not the same one written differently
        assert!(composition_notes(["Li2ZrCl6", "Li2Zr0.99Cl6"]).is_empty());
        assert_eq!(composition_notes(["Li3ScCl6", "Li2Sc0.667Cl4"]).len(), 1);
        let d = atomic_fraction_distance("Li3InCl6", "LiI").unwrap();
        assert!((d - 0.6).abs() < 1e-12, "{d}"); // Cl: 6/10 against 0
        let spinel = atomic_fraction_distance("Li2Sc2/3Cl4", "Li16.9936Sc4.976Cl32").unwrap();
        assert!(
            spinel < FORMULA_MATCH_TOLERANCE && spinel > 0.01,
            "{spinel}"
        );
    }

    #[test]
    fn compositions_written_two_ways_are_one() {
        assert!(same_composition("Li2In1/3Sc1/3Cl4", "Li2In0.333Sc0.333Cl4"));
        // not transitive pairwise; the groups are, in any order
        let (a, b, c) = (
            "Li2In0.333Sc0.333Cl4",
            "Li2In0.334Sc0.334Cl4",
            "Li2In1/3Sc1/3Cl4",
        );
        assert!(!same_composition(a, b));
        for order in [[a, b, c], [c, a, b], [b, c, a]] {
            let g = CompositionGroups::new(order);
            assert!(g.same(a, b) && g.same(b, c) && g.same(a, c));
            assert!(!g.same(a, "LiI"));
        }
        assert!(!same_composition(
            "Li2In1/3Sc1/3Cl4",
            "Li2In0.444Sc0.222Cl4"
        ));
        assert!(!same_composition("LiF", "LiI"));
        assert!(!same_composition("Li3ScCl6", "Li2Sc2/3Cl4"));
    }

    fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
        let p = dir.join(name);
        std::fs::write(&p, text).unwrap();
        p
    }

    #[test]
    fn bad_rows_are_refused_with_their_line_and_id() {
        let d = tempfile::tempdir().unwrap();
        write(d.path(), "s.cif", "data_x\n");
        let head = "id,file,formula,sigma_rt_s_per_cm,ea_ev\n";
        for (body, needle) in [
            ("a,s.cif,LiCl,,\n", "row 'a': no measured σ"),
            ("a,s.cif,NaCl,1e-3,\n", "row 'a': formula 'NaCl' has no Li"),
            ("a,s.cif,LiCl,-1,\n", "not positive"),
            ("a,s.cif,LiCl,abc,\n", "'abc' is not a number"),
            (
                "a,missing.cif,LiCl,1e-3,\n",
                "line 2: row 'a': structure file",
            ),
            (
                "a,s.cif,LiCl,1e-3,\na,s.cif,LiCl,1e-3,\n",
                "line 3: row 'a': the id appears twice",
            ),
        ] {
            let p = write(d.path(), "set.csv", &format!("{head}{body}"));
            let e = read_set(&p).unwrap_err().to_string();
            assert!(e.contains(needle) && e.contains("set.csv"), "{body}: {e}");
        }
        let p = write(
            d.path(),
            "set.csv",
            "id,file,formula,sigma_rt_s_per_cm,mobile_ion\na,s.cif,LiNaCl2,1e-3,Na\n",
        );
        let e = read_set(&p).unwrap_err().to_string();
        assert!(e.contains("mobile ion 'Na'"), "{e}");
        let p = write(d.path(), "set.csv", "id,file,sigma_rt_s_per_cm\n");
        let e = read_set(&p).unwrap_err().to_string();
        assert!(e.contains("missing column 'formula'"), "{e}");
        let p = write(d.path(), "cal.csv", "composition,file\nLiXYZ,s.cif\n");
        let e = read_calibration(&p).unwrap_err().to_string();
        assert!(
            e.contains("not a row of conductivity_calibration.csv"),
            "{e}"
        );
    }
}
