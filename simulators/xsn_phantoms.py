"""Phantoms for XSN tomography (seed 004, Figs. 2-4): ellipsoids of tabulated materials.

A phantom is a superposition of ellipsoidal bodies, each adding (sign +1) or removing (sign -1) one
material's refractive index and element densities. Nested shells of changing composition are a body
of each shell's material minus the enclosing one; a crack removes the material it cuts. Projections
are exact chord lengths (no voxels); the truth volume samples the same bodies on a voxel grid.

Coordinates: x across the beam at theta = 0, y vertical (the rotation axis), z along the beam at
theta = 0, all relative to the rotation axis, in metres. At rotation theta a point (x, y, z) projects
to x' = x cos(theta) + z sin(theta), as in :mod:`phasebeam.simulators.projection`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import xraydb

from phasebeam.analysis.materials import refractive_index


@dataclass(frozen=True)
class Material:
    """A compound for xraydb: chemical formula and mass density (g/cm^3)."""

    formula: str
    density_g_cm3: float

    def index(self, energy_ev: float) -> tuple[float, float]:
        """(delta, beta) at ``energy_ev``."""
        return refractive_index(self.formula, self.density_g_cm3, energy_ev)

    def element_density_g_cm3(self, element: str) -> float:
        """Partial mass density of ``element`` in this material (g/cm^3)."""
        atoms = xraydb.chemparse(self.formula)
        masses = {el: n * xraydb.atomic_mass(el) for el, n in atoms.items()}
        return self.density_g_cm3 * masses.get(element, 0.0) / sum(masses.values())


@dataclass(frozen=True)
class Body:
    """An ellipsoid of one material: (p - c)^T Q (p - c) <= 1 with Q = R diag(1 / a^2) R^T.

    Attributes:
        centre_m: (x, y, z) centre (m).
        semi_axes_m: semi-axes (m) along the columns of ``rotation``.
        material: what it adds or removes.
        sign: +1 adds the material, -1 removes it.
        rotation: 3 x 3 orthonormal matrix whose columns are the body's axes in (x, y, z).
    """

    centre_m: tuple[float, float, float]
    semi_axes_m: tuple[float, float, float]
    material: Material
    sign: int = 1
    rotation: tuple[tuple[float, ...], ...] = ((1.0, 0.0, 0.0), (0.0, 1.0, 0.0), (0.0, 0.0, 1.0))

    def quadric(self) -> npt.NDArray[np.float64]:
        r = np.asarray(self.rotation, dtype=np.float64)
        return r @ np.diag(1.0 / np.asarray(self.semi_axes_m, dtype=np.float64) ** 2) @ r.T

    def chord_m(self, origin: npt.NDArray[np.float64], direction: npt.NDArray[np.float64]) -> npt.NDArray:
        """Length (m) of each ray origin + s * direction (origins (..., 3), unit direction) inside."""
        q = self.quadric()
        rel = origin - np.asarray(self.centre_m)
        a = direction @ q @ direction
        b = rel @ (q @ direction)
        c = np.einsum("...i,ij,...j->...", rel, q, rel) - 1.0
        disc = b * b - a * c
        return 2.0 * np.sqrt(np.clip(disc, 0.0, None)) / a

    def contains(self, points: npt.NDArray[np.float64]) -> npt.NDArray[np.bool_]:
        rel = points - np.asarray(self.centre_m)
        return np.einsum("...i,ij,...j->...", rel, self.quadric(), rel) <= 1.0


def sphere(centre_m: tuple[float, float, float], radius_m: float, material: Material, sign: int = 1) -> Body:
    return Body(centre_m, (radius_m, radius_m, radius_m), material, sign)


@dataclass(frozen=True)
class Phantom:
    """A sample for XSN: bodies superposed. ``name`` says which figure of seed 004 it imitates."""

    name: str
    bodies: tuple[Body, ...]

    def projected_index_m(
        self, theta_deg: float, shape: tuple[int, int], pixel_m: float, energy_ev: float
    ) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
        """(integral of delta dz, integral of beta dz) in metres for each detector pixel (Y, X).

        Pixel (i, j) looks at x' = (j - (N_x - 1) / 2) * pixel, y = (i - (N_y - 1) / 2) * pixel.
        """
        rows, columns = shape
        theta = math.radians(theta_deg)
        xs = (np.arange(columns) - (columns - 1) / 2) * pixel_m
        ys = (np.arange(rows) - (rows - 1) / 2) * pixel_m
        xg, yg = np.meshgrid(xs, ys)
        origin = np.stack([xg * math.cos(theta), yg, xg * math.sin(theta)], axis=-1).astype(np.float64)
        direction = np.array([-math.sin(theta), 0.0, math.cos(theta)])
        delta_path = np.zeros(shape)
        beta_path = np.zeros(shape)
        for body in self.bodies:
            chord = body.chord_m(origin, direction)
            delta, beta = body.material.index(energy_ev)
            delta_path += body.sign * delta * chord
            beta_path += body.sign * beta * chord
        return delta_path, beta_path

    def _grid(self, shape: tuple[int, int, int], voxel_m: float) -> npt.NDArray[np.float64]:
        axes = [(np.arange(n) - (n - 1) / 2) * voxel_m for n in shape]
        z, y, x = np.meshgrid(*axes, indexing="ij")
        return np.stack([x, y, z], axis=-1).astype(np.float64)

    def index_volume(
        self, shape: tuple[int, int, int], voxel_m: float, energy_ev: float
    ) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
        """(delta, beta) sampled at voxel centres of a (Z, Y, X) grid centred on the rotation axis."""
        points = self._grid(shape, voxel_m)
        delta = np.zeros(shape)
        beta = np.zeros(shape)
        for body in self.bodies:
            inside = body.contains(points)
            d, b = body.material.index(energy_ev)
            delta += body.sign * d * inside
            beta += body.sign * b * inside
        return delta, beta

    def element_density_volume(
        self, element: str, shape: tuple[int, int, int], voxel_m: float
    ) -> npt.NDArray[np.float64]:
        """Partial density of ``element`` (g/cm^3) at voxel centres of a (Z, Y, X) grid."""
        points = self._grid(shape, voxel_m)
        density = np.zeros(shape)
        for body in self.bodies:
            density += body.sign * body.material.element_density_g_cm3(element) * body.contains(points)
        return density


ALUMINIUM = Material("Al", 2.699)
SILICA = Material("SiO2", 2.2)
COPPER = Material("Cu", 8.96)


def reference_particles() -> Phantom:
    """Al (800 nm), SiO2 (200 nm) and Cu (300 nm) spheres (diameters), as in seed 004 Fig. 2."""
    return Phantom(
        "Al/SiO2/Cu particles",
        (
            sphere((-0.55e-6, 0.0, 0.25e-6), 400e-9, ALUMINIUM),
            sphere((0.55e-6, 0.05e-6, -0.35e-6), 150e-9, COPPER),
            sphere((0.45e-6, -0.05e-6, 0.45e-6), 100e-9, SILICA),
        ),
    )


def nmc_material(ni: float, co: float, mn: float, density_g_cm3: float = 4.75) -> Material:
    """LiNi_x Co_y Mn_z O2 with x + y + z = 1."""
    return Material(f"LiNi{ni:.4f}Co{co:.4f}Mn{mn:.4f}O2", density_g_cm3)


def nmc_particle(
    radius_m: float = 1.2e-6,
    shells: int = 6,
    cracks: int = 3,
    crack_width_m: float = 50e-9,
    seed: int = 4,
) -> Phantom:
    """A concentration-gradient NMC particle with cracks (seed 004, Figs. 2c, 3, 4 and Methods).

    Ni:Co:Mn goes from 50:30:20 in the core to 90:5:5 at the surface in ``shells`` steps; cracks are
    thin oblate ellipsoids of void through the particle.
    """
    rng = np.random.default_rng(seed)
    core, surface = np.array([0.5, 0.3, 0.2]), np.array([0.9, 0.05, 0.05])
    bodies: list[Body] = []
    previous: Material | None = None
    for i in range(shells):
        fraction = i / (shells - 1)  # 0 at the surface shell, 1 at the core
        ni, co, mn = surface + (core - surface) * fraction
        material = nmc_material(ni, co, mn)
        r = radius_m * (1.0 - i / shells)
        bodies.append(sphere((0.0, 0.0, 0.0), r, material))
        if previous is not None:
            bodies.append(sphere((0.0, 0.0, 0.0), r, previous, sign=-1))
        previous = material
    # A crack crosses shells; it removes the mean composition (a small error inside a 50 nm void).
    mean = nmc_material(*((core + surface) / 2))
    for _ in range(cracks):
        normal = rng.normal(size=3)
        normal /= np.linalg.norm(normal)
        helper = np.array([0.0, 1.0, 0.0]) if abs(normal[1]) < 0.9 else np.array([1.0, 0.0, 0.0])
        u = np.cross(normal, helper)
        u /= np.linalg.norm(u)
        v = np.cross(normal, u)
        centre = tuple(float(c) for c in rng.uniform(-0.3, 0.3, 3) * radius_m)
        length = float(rng.uniform(0.5, 0.8) * radius_m)
        rotation = tuple(tuple(float(e) for e in row) for row in np.stack([u, v, normal], axis=1))
        bodies.append(Body(centre, (length, length, crack_width_m / 2), mean, -1, rotation))  # type: ignore[arg-type]
    return Phantom("gradient NMC particle with cracks", tuple(bodies))
