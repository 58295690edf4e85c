//! How far each energy of the anion relaxation moves the anions of real structures (docs/physics.md
//! §9.10): a structure a relaxation energy describes well is near its minimum.
//!
//! `cargo run --release -p halo-bvse --example relax_survey -- FILE... > results/anion_relaxation_survey.txt`
//!
//! Every structure is relaxed with both energies, in its space group, with no displacement cap
//! (the pipeline refuses more than 0.5 Å), and the largest and RMS anion displacements, the GII
//! before and after and the force-field energy before and after are printed.
use halo_bvse::relax::{relax_anions, RelaxEnergy, RelaxParams};
use halo_core::Element;

fn main() {
    println!(
        "{:<52} {:<13} {:>8} {:>8} {:>7} {:>7} {:>10} {:>10}  {:>6}",
        "structure",
        "energy",
        "max_Å",
        "rms_Å",
        "GII_0",
        "GII_1",
        "E_ff_0_eV",
        "E_ff_1_eV",
        "L-BFGS"
    );
    for arg in std::env::args().skip(1) {
        let path = std::path::Path::new(&arg);
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().to_string())
            .unwrap_or_else(|| arg.clone());
        let s = match halo_io::read_structure(path) {
            Ok(r) => r.structure,
            Err(e) => {
                println!("{name:<52} {e}");
                continue;
            }
        };
        for energy in [RelaxEnergy::ValenceSums, RelaxEnergy::ForceField] {
            let p = RelaxParams {
                energy,
                max_displacement_ang: f64::MAX,
                ..RelaxParams::default()
            };
            match relax_anions(&s, Element::LI, &p) {
                Ok((_, r)) => {
                    let (e0, e1) = match r.force_field_ev {
                        Some((a, b)) => (format!("{a:.3}"), format!("{b:.3}")),
                        None => ("-".into(), "-".into()),
                    };
                    println!(
                        "{name:<52} {:<13} {:>8.3} {:>8.3} {:>7.3} {:>7.3} {e0:>10} {e1:>10}  {:>6}",
                        energy.name(),
                        r.max_displacement_ang,
                        r.rms_displacement_ang,
                        r.gii_before,
                        r.gii_after,
                        r.iterations,
                    );
                }
                Err(e) => println!("{name:<52} {:<13} {e}", energy.name()),
            }
        }
    }
}
