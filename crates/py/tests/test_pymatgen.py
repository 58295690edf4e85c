"""pymatgen → halo → pymatgen keeps lattice, species, oxidation states, occupancies and
coordinates; skipped when pymatgen is not installed."""

import numpy as np
import pytest

import halo

mg = pytest.importorskip("pymatgen.core")


def assert_same(a, b):
    assert np.array_equal(a.lattice.matrix, b.lattice.matrix)
    assert len(a) == len(b)
    for x, y in zip(a, b):
        assert x.species == y.species  # species, oxidation states and occupancies
        assert np.array_equal(x.frac_coords, y.frac_coords)


def test_round_trip_of_a_partially_occupied_structure(spinel_path, in_repo):
    from pymatgen.io.cif import CifParser

    s = CifParser(spinel_path).parse_structures(primitive=False)[0]
    h = halo.Structure.from_pymatgen(s)
    assert h.source == "<pymatgen Structure>" and len(h) == len(s)
    assert_same(s, h.to_pymatgen())


def test_round_trip_with_oxidation_states():
    lat = mg.Lattice.from_parameters(5.6, 5.6, 5.6, 90, 90, 90)
    s = mg.Structure(
        lat,
        [{"Li+": 0.75}, {"Sc3+": 0.5, "In3+": 0.25}, "Cl-", "Cl-"],
        [[0, 0, 0], [0.5, 0.5, 0.5], [0.25, 0.25, 0.25], [0.75, 0.75, 0.75]],
    )
    back = halo.Structure.from_pymatgen(s).to_pymatgen()
    assert_same(s, back)
    assert back[1].species.get(mg.Species("In", 3)) == 0.25


def test_from_dict_without_pymatgen_objects(spinel_path, in_repo):
    a = halo.Structure.from_file(spinel_path)
    b = halo.Structure.from_pymatgen(a.as_dict())
    assert np.array_equal(a.frac_coords, b.frac_coords)
    assert np.array_equal(a.lattice_matrix_ang, b.lattice_matrix_ang)
    assert a.species == b.species


def test_file_and_pymatgen_give_the_same_numbers(spinel_path, in_repo):
    a = halo.Structure.from_file(spinel_path)
    b = halo.Structure.from_pymatgen(a.to_pymatgen())
    ia, ib = halo.inspect(a), halo.inspect(b)
    for k in ("space_group_symbol", "formula", "volume_ang3", "lattice"):
        assert ia[k] == ib[k], k
    assert halo.bvse(a, resolution=0.3).thresholds_ev == halo.bvse(b, resolution=0.3).thresholds_ev


def test_functions_accept_pymatgen_structures(spinel_path, in_repo):
    s = halo.Structure.from_file(spinel_path).to_pymatgen()
    assert halo.inspect(s)["space_group_symbol"] == "Fd-3m"
    a, b = halo.stability(mg.Composition("Li3InCl6")), halo.stability("Li3InCl6")
    assert a.pop("input") == "Li3In1Cl6" and b.pop("input") == "Li3InCl6"
    assert a == b
    by_structure = halo.stability(s)  # composition per formula unit, neutralised by Li
    assert by_structure["windows"] == halo.stability(spinel_path)["windows"]


def test_properties_numpy_and_non_structures(spinel_path, in_repo):
    """Site and structure properties (numpy arrays from a POSCAR's selective dynamics, magmoms,
    NaN) are not read; a path is read as a file; what is no structure is named."""
    lat = mg.Lattice.cubic(5.13)
    s = mg.Structure(lat, ["Li+", "Cl-"], [[0, 0, 0], [0.5, 0.5, 0.5]])
    s.add_site_property("selective_dynamics", [np.array([True, False, True])] * 2)
    s.add_site_property("magmom", [np.float32(0.1), float("nan")])
    h = halo.Structure.from_pymatgen(s)
    assert len(h) == 2 and h.formula == halo.Structure.from_pymatgen(
        mg.Structure(lat, ["Li+", "Cl-"], [[0, 0, 0], [0.5, 0.5, 0.5]])
    ).formula
    assert len(halo.Structure.from_pymatgen(spinel_path)) > 0
    import pathlib

    assert len(halo.Structure.from_pymatgen(pathlib.Path(spinel_path))) > 0
    for bad, match in [(None, "got NoneType"), (3, "got int"), (b"x.cif", "got bytes")]:
        with pytest.raises(halo.StructureError, match=match):
            halo.Structure.from_pymatgen(bad)
    m = mg.Molecule(["Li", "Cl"], [[0, 0, 0], [0, 0, 2.1]])
    with pytest.raises(halo.StructureError, match="without a lattice"):
        halo.Structure.from_pymatgen(m)
    slab = mg.Structure(
        mg.Lattice(lat.matrix, pbc=(True, True, False)), ["Li+", "Cl-"], [[0, 0, 0], [0.5, 0.5, 0.5]]
    )
    with pytest.raises(halo.StructureError, match="not periodic in every direction"):
        halo.Structure.from_pymatgen(slab)
    # a pymatgen Slab keeps pbc all True across its vacuum: refused by what it is
    from pymatgen.core.surface import SlabGenerator

    licl = mg.Structure(
        mg.Lattice.cubic(5.14),
        ["Li+"] * 4 + ["Cl-"] * 4,
        [[0, 0, 0], [0.5, 0.5, 0], [0.5, 0, 0.5], [0, 0.5, 0.5]]
        + [[0.5, 0, 0], [0, 0.5, 0], [0, 0, 0.5], [0.5, 0.5, 0.5]],
    )
    real_slab = SlabGenerator(licl, (1, 0, 0), 8, 15, center_slab=True).get_slabs()[0]
    with pytest.raises(halo.StructureError, match="is a slab"):
        halo.Structure.from_pymatgen(real_slab)
    assert len(halo.Structure.from_pymatgen(real_slab.oriented_unit_cell)) > 0


def test_structures_pickle_and_copy_with_their_provenance(spinel_path, in_repo):
    """A halo.Structure goes through pickle, copy.deepcopy and so multiprocessing: read again
    from the bytes it was read from, it keeps its sites, labels, warnings and id, and gives
    the same numbers."""
    import copy
    import pickle

    mixed = halo.Structure.from_file("structures/Li2In1-3Sc1-3Cl4_Fd-3m_Zhou2022_neutron.cif")
    for s in (halo.Structure.from_file(spinel_path), mixed):
        for t in (pickle.loads(pickle.dumps(s)), copy.deepcopy(s), copy.copy(s)):
            assert t == s and hash(t) == hash(s)
            assert t.id == s.id and t.warnings == s.warnings and t.as_dict() == s.as_dict()
            assert halo.inspect(t) == halo.inspect(s)
    a = halo.bvse(mixed, resolution=0.4).to_dict()
    b = halo.bvse(pickle.loads(pickle.dumps(mixed)), resolution=0.4).to_dict()
    for d in (a, b):  # MemAvailable at the time
        d["bvse_params"].pop("memory_limit_bytes")
    assert a == b
    p = halo.Structure.from_pymatgen(mixed.to_pymatgen())
    q = pickle.loads(pickle.dumps(p))
    assert q == p and q.id == p.id and q.as_dict() == p.as_dict()
    assert p != mixed  # another input (pymatgen JSON, not the CIF): not the same structure
