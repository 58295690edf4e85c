//! LiAlCl4 with its interstitials priced by an ML potential instead of the BVSE landscape: the
//! averaged model's chain as `halo kmc` runs it, once as shipped and once with the site energy of
//! every landscape minimum that is no Li site of the file replaced by the CHGNet Frenkel-pair
//! energy of `scripts/reference/mlip/` (E_site(Li0) + ΔE_Frenkel; the barriers' shape kept: each
//! saddle moves with the mean of its ends' shifts, so every hop's E_KRA = S − (E_i + E_j)/2 is
//! unchanged, `HopNetwork::add_lattice_gas`, Van der Ven et al. 2001). docs/physics.md §9.12.
//!
//! A demonstration of the next model step on the one structure whose every unlisted minimum has
//! such an energy (the 96-atom CHGNet cell; each minimum's inversion partner, which has the same
//! BVSE energy to 1e-6 eV, takes the same value), not a model: no other structure of the
//! validation set has the energies.
//!
//!     cargo run --release -p halo-campaign --example mlip_site_energies

use halo_campaign::transport::ModelOptions;
use halo_kmc::MobileIons;
use std::path::Path;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let cif = root.join("structures/LiAlCl4_P21c_COD1004036.cif");
    let mlip = root.join("scripts/reference/mlip/results/caseA_2x2x1_results.json");
    let structure = halo_io::read_structure(&cif)?.structure;
    let (settings, _) = ModelOptions::default().settings(None)?;
    let element = settings.bvse.mobile_ion.element;
    let (_, net, _) = halo_campaign::transport::averaged::network(&structure, &settings, |_| {})?;
    let per_cell = halo_kmc::mobile_ion_count(&structure, element).mobile_per_cell;

    // CHGNet: E_site(moved Li) + ΔE_Frenkel per computed minimum, keyed by its BVSE energy
    let v: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&mlip)?)?;
    let computed: Vec<(f64, f64)> = v["frenkel"]
        .as_array()
        .ok_or("no `frenkel` array")?
        .iter()
        .map(|f| {
            let e_bvse = f["bvse_energy_ev"].as_f64().ok_or("bvse_energy_ev")?;
            let target = f["moved_li_bvse_site_energy_ev"]
                .as_f64()
                .ok_or("moved site")?
                + f["mlip_delta_ev"].as_f64().ok_or("mlip_delta_ev")?;
            Ok::<_, &str>((e_bvse, target))
        })
        .collect::<Result<_, _>>()?;
    let mut shift = vec![0.0; net.sites.len()];
    for (i, s) in net.sites.iter().enumerate() {
        if s.label.is_some() {
            continue;
        }
        // symmetry partners share a BVSE energy; two different CHGNet values for one energy
        // would make the match ambiguous
        let targets: Vec<f64> = computed
            .iter()
            .filter(|(e, _)| (e - s.energy_ev).abs() < 1e-6)
            .map(|(_, t)| *t)
            .collect();
        let target = *targets
            .first()
            .ok_or_else(|| format!("no CHGNet energy for minimum {i} ({:.6} eV)", s.energy_ev))?;
        if targets.iter().any(|t| (t - target).abs() > 1e-9) {
            return Err(
                format!("minimum {i}: CHGNet values {targets:?} for one BVSE energy").into(),
            );
        }
        shift[i] = target - s.energy_ev;
    }
    let mut priced = net.clone();
    priced.add_lattice_gas(&shift, Vec::new())?;

    println!(
        "LiAlCl4 ({}), averaged model, {} sites per cell ({} unlisted)",
        cif.display(),
        net.sites.len(),
        net.sites.iter().filter(|x| x.label.is_none()).count()
    );
    println!(
        "{:<34} {:>14} {:>10} {:>22}",
        "site energies", "σ(300 K) S/cm", "Ea (eV)", "Li on unlisted minima"
    );
    for (name, n) in [
        ("BVSE landscape (as shipped)", &net),
        ("CHGNet Frenkel energies", &priced),
    ] {
        let mut kp = settings.kmc.clone();
        kp.mobile_ions = MobileIons::PerCell(per_cell);
        let r = halo_kmc::simulate(n, &kp)?;
        // the share of the Li on minima that are no Li site of the file, as `halo kmc` counts it
        let sub = halo_campaign::transport::LiSublattice::of(&structure, element)
            .with_interstitial_share(&structure, element, &r);
        let share = sub
            .interstitial_share
            .ok_or("the CIF's Li sites carry labels")?;
        let at_k = sub.interstitial_share_temperature_k.unwrap_or(f64::NAN);
        match &r.arrhenius {
            Some(a) => println!(
                "{name:<34} {:>9.2e} ± {:<6.1e} {:>6.3} ± {:.3} {:>8.4} % at {:.0} K",
                a.sigma_300k_s_per_cm,
                a.sigma_300k_se_s_per_cm,
                a.ea_ev,
                a.ea_se_ev,
                100.0 * share,
                at_k
            ),
            None => println!("{name:<34} no Arrhenius fit (σ below the run's resolution)"),
        }
    }
    let m = halo_data::calibration::ionic_row("LiAlCl4").ok_or("no LiAlCl4 row")?;
    println!(
        "measured (conductivity_calibration.csv): σ(RT) {} S/cm, Ea {} eV",
        m.sigma_rt_s_per_cm
            .map_or("–".into(), |x| format!("{x:.1e}")),
        m.ea_ev.map_or("–".into(), |x| format!("{x:.2}"))
    );
    Ok(())
}
