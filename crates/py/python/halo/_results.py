"""Result objects of ``halo.bvse`` and ``halo.kmc``: the CLI's JSON numbers as attributes, plus
conversions to networkx and pandas (imported only when asked for)."""

from __future__ import annotations

import copy
import warnings
from typing import Any, Dict, List, Optional


class ModelDomainWarning(UserWarning):
    """The structure is outside what the conductivity model prices (every Li site of the file is
    full, docs/physics.md §9.12; or its charges do not add up to zero, §1.3); the number is
    returned, and the warning says why it is not a prediction. The same text is in the result's
    ``warnings``."""


class BvseResult:
    """BVSE landscape, exact percolation barriers and the Li-site graph (``halo bvse --json``).

    Attributes (units in the names): ``e_1d_ev``, ``e_2d_ev``, ``e_3d_ev`` (barriers above the
    grid minimum, eV; ``None`` when the dimension does not percolate), ``grid_min_ev``,
    ``resolution_ang``, ``grid_shape``, ``sites`` (index, frac_coords, energy_ev, label),
    ``edges`` (site_a, site_b, saddle_energy_ev, hop_length_ang, image, hop_vector_ang) and
    ``energies_ev``: the landscape as a numpy array of absolute energies, eV, of shape
    ``grid_shape`` (point (i, j, k) at fractional (i, j, k) / ``periodic_grid_shape``); it is
    the grid the Rust code computed, handed to numpy without a copy. ``warnings``: why the
    landscape may not be the material's (a structure that is not charge neutral), each also
    raised as a :class:`ModelDomainWarning`.
    """

    def __init__(self, data: Dict[str, Any], energies_ev: Any) -> None:
        self._data = data
        self.energies_ev = energies_ev
        for w in data.get("warnings") or []:
            warnings.warn(w, ModelDomainWarning, stacklevel=2)

    def __getattr__(self, name: str) -> Any:
        try:
            return self.__dict__["_data"][name]
        except KeyError:
            raise AttributeError(name) from None

    @property
    def thresholds_ev(self) -> Dict[str, Optional[float]]:
        """The exact 1D/2D/3D percolation barriers, eV above the grid minimum."""
        return {k: self._data[k] for k in ("e_1d_ev", "e_2d_ev", "e_3d_ev")}

    def to_dict(self) -> Dict[str, Any]:
        """The CLI's JSON as a dict (a copy; without the grid)."""
        return copy.deepcopy(self._data)

    def to_networkx(self) -> Any:
        """The Li-site graph as a ``networkx.MultiGraph``: nodes are site indices with
        ``frac_coords``, ``energy_ev`` and ``label``; one edge per migration hop with
        ``saddle_energy_ev`` (eV), ``hop_length_ang`` (Å), ``image`` (cell offset of site_b)
        and ``hop_vector_ang`` (Å). Needs networkx."""
        import networkx as nx

        g = nx.MultiGraph()
        for s in self._data["sites"]:
            g.add_node(
                s["index"],
                frac_coords=s["frac_coords"],
                energy_ev=s["energy_ev"],
                label=s["label"],
            )
        for e in self._data["edges"]:
            g.add_edge(
                e["site_a"],
                e["site_b"],
                saddle_energy_ev=e["saddle_energy_ev"],
                hop_length_ang=e["hop_length_ang"],
                image=tuple(e["image"]),
                hop_vector_ang=e["hop_vector_ang"],
            )
        return g

    def __repr__(self) -> str:
        t = self.thresholds_ev
        return (
            f"<halo.BvseResult grid {self._data['grid_shape']} E_1D={t['e_1d_ev']} "
            f"E_2D={t['e_2d_ev']} E_3D={t['e_3d_ev']} eV, {len(self._data['sites'])} sites, "
            f"{len(self._data['edges'])} edges>"
        )


class KmcResult:
    """Kinetic Monte Carlo result with the numbers of ``halo kmc FILE --json``.

    ``temperatures``: one dict per temperature (``temperature_k``, ``d_tracer_cm2_per_s``,
    ``d_sigma_cm2_per_s``, ``haven_ratio``, ``sigma_s_per_cm`` and their ``_se_`` standard
    errors, ``hops``, ``simulated_time_s``, ``occupancies``); ``arrhenius``: ``ea_ev``,
    ``ea_se_ev``, ``prefactor_s_k_per_cm``, ``sigma_300k_s_per_cm``, ``sigma_300k_se_s_per_cm``,
    ``chi2_reduced`` (``None`` without two temperatures with σ > 0); ``calibration``: where ν0
    comes from; ``network``, ``mobile_ions``, ``kmc`` (the full record), ``timing_s``;
    ``li_sublattice``: the file's Li-only sites and whether every one is full; ``charge``: the
    net charge per cell and per formula unit and whether it is neutral; ``warnings``: why
    the number may not be a prediction, each also raised as a :class:`ModelDomainWarning`;
    ``too_cold``: the temperatures too cold for the arithmetic of the rates or the clock
    (``temperature_k``, ``reason``), left out of ``temperatures`` and the fit.
    """

    def __init__(self, data: Dict[str, Any]) -> None:
        self._data = data
        for w in data.get("warnings") or []:
            warnings.warn(f"{data.get('file', '')}: {w}", ModelDomainWarning, stacklevel=2)

    def __getattr__(self, name: str) -> Any:
        try:
            return self.__dict__["_data"][name]
        except KeyError:
            raise AttributeError(name) from None

    @property
    def too_cold(self) -> List[Dict[str, Any]]:
        """Temperatures that could not be simulated, too cold for the arithmetic of the rates or
        the clock (``temperature_k``, ``reason``); empty when every temperature ran."""
        return list(self._data.get("too_cold", []))

    @property
    def ea_ev(self) -> Optional[float]:
        """Arrhenius activation energy from ln(σT) vs 1/T, eV."""
        a = self._data["arrhenius"]
        return None if a is None else a["ea_ev"]

    @property
    def sigma_300k_s_per_cm(self) -> Optional[float]:
        """σ at 300 K from the Arrhenius fit, S/cm."""
        a = self._data["arrhenius"]
        return None if a is None else a["sigma_300k_s_per_cm"]

    def to_dict(self) -> Dict[str, Any]:
        """The CLI's JSON as a dict (a copy)."""
        return copy.deepcopy(self._data)

    def rows(self) -> List[Dict[str, Any]]:
        """One flat dict per temperature (scalar columns only, units in the names)."""
        out = []
        for t in self._data["temperatures"]:
            row = {"temperature_k": t["temperature_k"]}
            row.update((k, v) for k, v in t.items() if not isinstance(v, (list, dict)))
            out.append(row)
        return out

    def to_dataframe(self) -> Any:
        """A ``pandas.DataFrame``, one row per temperature (``temperature_k``,
        ``sigma_s_per_cm``, ``sigma_se_s_per_cm``, ``d_tracer_cm2_per_s``, …). Needs pandas."""
        import pandas as pd

        return pd.DataFrame(self.rows())

    def __repr__(self) -> str:
        a = self._data["arrhenius"]
        fit = (
            f"Ea={a['ea_ev']:.3f}±{a['ea_se_ev']:.3f} eV, σ(300 K)={a['sigma_300k_s_per_cm']:.3e} S/cm"
            if a
            else "no Arrhenius fit"
        )
        temps = [t["temperature_k"] for t in self._data["temperatures"]]
        return f"<halo.KmcResult {self._data['formula']} T={temps} K: {fit}>"
