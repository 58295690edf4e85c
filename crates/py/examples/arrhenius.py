"""From a CIF to an Arrhenius plot, with no files in between (notebook-style; runs as a script).

    python crates/py/examples/arrhenius.py [CIF] [--out arrhenius.png]

1. read the CIF with pymatgen (halo reads CIFs itself too: ``halo.Structure.from_file``);
2. hand the pymatgen ``Structure`` to halo;
3. BVSE landscape and percolation barriers (eV);
4. kinetic Monte Carlo: σ(T) in S/cm with standard errors, Ea in eV;
5. a pandas DataFrame, one row per temperature;
6. an Arrhenius plot of log10(σT) against 1000/T, saved with matplotlib's Agg backend.

The kMC here is short (2 replicas × 4 blocks × 20 hops per ion) so that it runs in seconds; drop
the keywords to get the CLI's defaults.
"""

import argparse
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from pymatgen.io.cif import CifParser  # noqa: E402

import halo  # noqa: E402

REPO = Path(__file__).resolve().parents[3]
DEFAULT_CIF = REPO / "structures" / "Li2Sc2-3Cl4_Fd-3m_Zhou2020_neutron.cif"

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("cif", nargs="?", default=str(DEFAULT_CIF))
parser.add_argument("--out", default="arrhenius.png", help="plot file (PNG, SVG, PDF)")
args = parser.parse_args()

# %% 1–2. a pymatgen structure, handed to halo (through Structure.as_dict(): no files)
pmg = CifParser(args.cif).parse_structures(primitive=False)[0]
s = halo.Structure.from_pymatgen(pmg, name=Path(args.cif).stem)
print(s)

# %% 3. landscape and barriers
b = halo.bvse(s, resolution=0.2)
print(f"E_1D/E_2D/E_3D = {b.e_1d_ev:.3f} / {b.e_2d_ev:.3f} / {b.e_3d_ev:.3f} eV; "
      f"{len(b.sites)} Li sites, {len(b.edges)} hops; grid {b.energies_ev.shape}")

# %% 4. kMC (seeded: the same numbers as `halo kmc CIF --json` with the same flags)
k = halo.kmc(s, temperatures=[300, 350, 400, 450, 500], seed=0,
             replicas=2, blocks=4, hops_per_block=20)
print(k)

# %% 5. a DataFrame
df = k.to_dataframe()
print(df[["temperature_k", "sigma_s_per_cm", "sigma_se_s_per_cm", "haven_ratio"]])

# %% 6. the Arrhenius plot: log10(σT / S·K·cm⁻¹) against 1000/T, with the fit
x = 1000.0 / df["temperature_k"]
y = np.log10(df["sigma_s_per_cm"] * df["temperature_k"])
yerr = df["sigma_se_s_per_cm"] / (df["sigma_s_per_cm"] * np.log(10))
fig, ax = plt.subplots(figsize=(4.5, 3.5))
ax.errorbar(x, y, yerr=yerr, fmt="o", label="kMC")
if k.arrhenius:
    a = k.arrhenius
    t = np.linspace(df["temperature_k"].min(), df["temperature_k"].max(), 50)
    fit = np.log10(a["prefactor_s_k_per_cm"]) - a["ea_ev"] / (8.617333262e-5 * t * np.log(10))
    ax.plot(1000.0 / t, fit, "-", label=f"Ea = {a['ea_ev']:.3f} ± {a['ea_se_ev']:.3f} eV")
ax.set_xlabel("1000 / T (K⁻¹)")
ax.set_ylabel("log10(σT / S·K·cm⁻¹)")
ax.set_title(s.reduced_formula)
ax.legend()
fig.tight_layout()
fig.savefig(args.out, dpi=120)
print(f"wrote {args.out}")
