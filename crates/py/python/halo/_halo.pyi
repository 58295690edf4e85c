"""Type stubs of ``halo._halo`` (the Rust extension). Units are in the keyword names and in the
result keys: Å, degrees, eV, K, S/cm, cm²/s, s⁻¹, V vs Li⁺/Li, s."""

import os
from typing import Any, Dict, List, Optional, Sequence, Union

import numpy as np
import numpy.typing as npt

from ._results import BvseResult, KmcResult

__version__: str
DEFAULT_RESOLUTION_ANG: float

class HaloError(Exception):
    """Base class of every error raised by halo."""

class StructureError(HaloError):
    """A structure could not be read, parsed or analysed (the message names file, line, field)."""

class ParameterError(HaloError):
    """A parameter is out of range or malformed (the message names it, as the CLI flag)."""

class EvaluationError(HaloError):
    """A computation stage (bvse, graph, kmc, filters) failed for this structure."""

class CampaignError(HaloError):
    """A campaign could not be run, resumed or read (workflow, folder, lock, checkpoint)."""

class InternalError(HaloError):
    """A bug in halo (a Rust panic), caught before it reached Python."""

PathLike = Union[str, "os.PathLike[str]"]
#: a ``halo.Structure``, a pymatgen ``Structure`` (or its ``as_dict()``), or a file path
StructureLike = Union["Structure", PathLike, Dict[str, Any], Any]

class Structure:
    """A crystal structure: lattice rows in Å, fractional coordinates, species with oxidation
    states and partial occupancies (pymatgen's vocabulary)."""

    @staticmethod
    def from_file(path: PathLike, block: Optional[str] = None) -> "Structure":
        """Read a CIF, POSCAR or pymatgen JSON file (format from the name); ``block``: the
        CIF data block. Raises StructureError."""
    @staticmethod
    def from_pymatgen(structure: Any, name: Optional[str] = None) -> "Structure":
        """From a pymatgen ``Structure`` or its ``as_dict()`` dict (pymatgen not needed)."""
    @staticmethod
    def from_json(text: str, name: Optional[str] = None) -> "Structure":
        """From pymatgen ``Structure.as_dict()`` JSON text."""
    def to_json(self) -> str:
        """pymatgen ``Structure.as_dict()`` JSON text."""
    def as_dict(self) -> Dict[str, Any]:
        """pymatgen ``Structure.as_dict()`` dict."""
    def to_pymatgen(self) -> Any:
        """A pymatgen ``Structure`` (needs pymatgen)."""
    @property
    def lattice_matrix_ang(self) -> npt.NDArray[np.float64]:
        """Lattice vectors as rows, Å (3×3)."""
    @property
    def frac_coords(self) -> npt.NDArray[np.float64]:
        """Fractional coordinates (N×3)."""
    @property
    def species(self) -> List[str]:
        """pymatgen species strings per site (``Li+``, ``Li+:0.675, Sc3+:0.164``)."""
    @property
    def formula(self) -> str:
        """Occupancy-weighted formula of the cell."""
    @property
    def reduced_formula(self) -> str:
        """Reduced formula: amounts divided by their greatest common factor when they are
        integers; a partly occupied cell keeps its per-cell amounts (``Li16.9936Sc4.976Cl32``)."""
    @property
    def volume_ang3(self) -> float:
        """Cell volume, Å³."""
    @property
    def density_g_per_cm3(self) -> float:
        """Density, g/cm³."""
    @property
    def source(self) -> str:
        """The file it was read from, or ``<pymatgen Structure>``."""
    @property
    def name(self) -> str:
        """File stem or the name given."""
    @property
    def id(self) -> str:
        """``halo eval``'s id: hex of the first 8 bytes of SHA-256 of the input bytes."""
    @property
    def warnings(self) -> List[str]:
        """Non-fatal findings of the reader."""
    def __len__(self) -> int: ...

def inspect(structure: StructureLike, symprec: float = 0.01) -> Dict[str, Any]:
    """``halo inspect --json``: formula, space group, cell (Å, °), volume (Å³), density
    (g/cm³), oxidation states, net charge (e), sites (Wyckoff, nearest anion in Å), warnings.
    ``symprec``: symmetry tolerance, Å."""

def bvse(
    structure: StructureLike,
    resolution_ang: Optional[float] = None,
    mode: str = "default",
    mobile_ion: str = "Li+",
    cluster_radius: float = 0.5,
    *,
    resolution: Optional[float] = None,
    screening_factor: float = 0.74,
) -> BvseResult:
    """``halo bvse --json``: BVSE landscape, exact 1D/2D/3D barriers (eV), Li sites and
    migration edges, and the energy grid (eV, numpy, no copy). ``resolution_ang`` (alias
    ``resolution``): grid spacing, Å, default 0.2; ``mode``: ``default`` or ``bvlain``;
    ``cluster_radius``: Å."""

def kmc(
    structure: StructureLike,
    temperatures_k: Optional[Sequence[float]] = None,
    *,
    model: str = "averaged",
    pair_potential: Optional[str] = None,
    dielectric_constant: Optional[float] = None,
    anion_saturation_ev: Optional[float] = None,
    relax_anions: bool = False,
    relax_energy: Optional[str] = None,
    seed: int = 0,
    supercell: Union[str, Sequence[int], None] = None,
    mobile_ion: str = "Li+",
    resolution_ang: Optional[float] = None,
    screening_factor: Optional[float] = None,
    blocking_distance_ang: Optional[float] = None,
    attempt_frequency_hz: Optional[float] = None,
    replicas: int = 4,
    max_replicas: Optional[int] = None,
    target_rel_se: Optional[float] = None,
    blocks: int = 16,
    hops_per_block: float = 50.0,
    equilibration: float = 100.0,
    min_ions: int = 128,
    mobile_per_cell: Optional[float] = None,
    site_energies: Union[str, os.PathLike, None] = None,
    hop_barriers: Union[str, os.PathLike, None] = None,
    ground_occupancies: bool = False,
    grounding_temperature_k: Optional[float] = None,
    metropolis_sweeps_per_ion: Optional[float] = None,
    min_realisations: int = 2,
    max_realisations: int = 4,
    station_max_depth_ev: float = 0.1,
    temperatures: Optional[Sequence[float]] = None,
    resolution: Optional[float] = None,
    blocking_distance: Optional[float] = None,
    attempt_frequency: Optional[float] = None,
) -> KmcResult:
    """``halo kmc --json``: kinetic Monte Carlo on the BVSE site graph. ``temperatures_k``
    (alias ``temperatures``): K, default [300, 350, 400, 450, 500]; ``supercell``: ``"auto"``
    (default) or [a, b, c]; ``resolution_ang`` (alias ``resolution``): Å, default 0.2;
    ``blocking_distance_ang`` (alias ``blocking_distance``): Å, default 2.5;
    ``attempt_frequency_hz`` (alias ``attempt_frequency``): s⁻¹, default the calibrated ν0;
    ``hops_per_block``, ``equilibration``: hops per ion; ``mobile_per_cell``: mobile ions per
    cell (default from the composition); ``model``: ``"averaged"`` (default) or ``"explicit"``
    (with ``pair_potential``, ``dielectric_constant``, ``anion_saturation_ev``);
    ``relax_anions``: anions moved to their bond-valence (GII) minimum first (averaged model);
    ``relax_energy``: ``"valence_sums"`` (that GII, the default) or ``"force_field"`` (a
    bond-valence force field); ``screening_factor``: the landscape's Coulomb screening f (0.74);
    ``target_rel_se`` (0.2) and ``max_replicas`` (4 × ``replicas``): the stopping rule — replicas
    are added where σ is not yet measured until σ(300 K) has that relative SE or the cap;
    ``site_energies``: a CSV of site energies from another model (DFT, an ML potential), as
    ``halo kmc --site-energies``: rows ``site,energy_ev`` (relative to the first row) or
    ``site,shift_ev``, a site a label of the file or a position ``x y z``; every hop keeps its
    E_KRA; ``hop_barriers``: a CSV ``from,to,e_kra_ev`` of migration barriers (NEB), as
    ``halo kmc --hop-barriers``; ``ground_occupancies``: the partly occupied Li sites' energies
    fitted to the file's occupancies first, as ``halo kmc --ground-occupancies`` (not with
    ``site_energies``), at ``grounding_temperature_k`` (K; default: the CIF's measurement
    temperature, else 300 K); ``metropolis_sweeps_per_ion``: Metropolis moves per ion before
    the kMC equilibration (default 200 explicit, 0 averaged); ``min_realisations``,
    ``max_realisations``: fewest and most realisations of a disordered structure (explicit
    model); ``station_max_depth_ev`` (explicit model only): landscape minima shallower than
    this (eV) between deeper sites are stations of a hop. Integer keywords must be non-negative (``ParameterError``).
    Ctrl-C raises KeyboardInterrupt."""

def sites(
    structure: StructureLike,
    *,
    resolution_ang: Optional[float] = None,
    mobile_ion: str = "Li+",
    screening_factor: Optional[float] = None,
) -> Dict[str, Any]:
    """``halo sites --json``: the kMC network's Li sites as the rows of a site-energy file to
    fill in (one per label, one per symmetry orbit of the other minima; ``site`` is
    ``{"label": ...}`` or ``{"frac_coords": [...]}``), with minima per cell and the landscape's
    energies (eV), and ``csv``: the file as ``halo sites`` writes it. Put another model's
    energies in it and pass it to ``kmc(..., site_energies=path)``."""

def eval(
    structure: StructureLike,
    workflow: Optional[PathLike] = None,
    seed: Optional[int] = None,
) -> Dict[str, Any]:
    """``halo eval --json``: landscape, site graph, kMC and filters on one structure; metrics
    with units in their names (σ S/cm, Ea eV, limits V, band gap eV, cost USD/kg)."""

def enumerate(
    framework: StructureLike,
    site: str,
    dopants: Sequence[str],
    fractions: Union[str, Sequence[float]],
    *,
    max_dopants: int = 1,
    radius_tolerance: float = 0.15,
    symprec: float = 0.01,
    anions_per_fu: Optional[float] = None,
    host_m_per_fu: Optional[float] = None,
    orderings: int = 0,
    seed: int = 0,
    structures: bool = False,
) -> Dict[str, Any]:
    """``halo enumerate --json``: charge-balanced substitutions (accepted with lattice
    estimates in Å; rejected with reasons). ``fractions``: ``"0:0.666:0.111"`` or a list of
    amounts per formula unit; ``symprec``: Å; ``structures=True`` adds the average models as
    ``{"structures": {id: Structure}}``."""

def stability(
    composition: Any,
    mix_mev_per_atom: Optional[float] = None,
    hull_tolerance_ev_per_atom: float = 0.0,
) -> Dict[str, Any]:
    """``halo stability --json``: anodic/cathodic limits (V vs Li⁺/Li) for ΔG(298 K) and ΔH,
    products and data rows. ``composition``: formula, pymatgen Composition, structure or path;
    ``mix_mev_per_atom``: meV/atom; ``hull_tolerance_ev_per_atom``: eV/atom above the hull a
    candidate may lie and count as stable (0: the exact limits; at most 0.5). A composition
    the tables cannot assess (Li2O: no oxide data) gives ``{"verdict": "not_assessable",
    "filter", "reason", ...}`` without the limit keys, as the CLI's exit 1, not an exception."""

def run(
    workflow: PathLike,
    out: Optional[PathLike] = None,
    *,
    threads: Optional[int] = None,
    shard: Optional[str] = None,
    progress: bool = False,
    recompute_stale: bool = False,
) -> Dict[str, Any]:
    """``halo run WORKFLOW --out DIR``: the pass summary (total, already_done, recorded,
    failed, planned, rejected, passed, without_fit (evaluated candidates without an Arrhenius
    fit, which fail the ranking), interrupted, outputs_written, wall_s in s)."""

def resume(
    dir: PathLike,
    *,
    threads: Optional[int] = None,
    shard: Optional[str] = None,
    progress: bool = False,
    recompute_stale: bool = False,
) -> Dict[str, Any]:
    """``halo resume DIR``: as ``run``."""

def status(dir: PathLike) -> Dict[str, Any]:
    """``halo status DIR --json``: name, planned, rejected, evaluated, pending, failed,
    incomplete_shards."""

def merge(dir: PathLike, shards: int, *, recompute_stale: bool = False) -> Dict[str, Any]:
    """``halo merge DIR --shards N --json``: join the shard checkpoints; the outputs are written
    when ``missing_shards`` is empty. Keys: shards, missing_shards, candidates, recorded, failed,
    duplicates_removed, and passed once the outputs are written (no missing shard)."""
