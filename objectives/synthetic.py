"""Synthetic test functions with known global minima.

Each function is vectorised over the rows of ``X`` (shape (n, d)) and
evaluated in the coordinates of its usual domain. Optima are computed at the
minimiser to full double precision (tests check them), because regret curves
go down to 1e-8 and a rounded literature figure would make regret negative.
Where the literature gives a rounded minimiser, the one hard-coded here is the
zero of the analytic gradient next to it: found with ``scipy.optimize.root``
(method ``hybr``; ``brentq`` in one dimension) from the literature's point,
then refined with ``mpmath.findroot`` at 40 digits and rounded to the nearest
double (the two agree to an ulp). Where it helps, a formula is rearranged (exactly, in real
arithmetic) so that its value at the minimiser is exactly the optimum in
floating point too, e.g. Ackley's ``a + e - ...`` as ``a (1 - exp(..)) + ...``.

The families:

- fixed dimension: ``branin``, ``six-hump-camel``, ``goldstein-price``
  (2-D), ``hartmann3``, ``hartmann6``, ``forrester`` (1-D);
- any dimension (option ``dims``, default 2): ``rosenbrock``, ``ackley``,
  ``rastrigin``, ``levy``, ``styblinski-tang``;
- ``forrester-1of2`` and ``embedded[function=...,dims=...]``: low effective
  dimensionality (Bergstra & Bengio 2012);
- ``noisy[function=...,noise=...]``: additive Gaussian noise, judged on the
  noiseless value;
- ``mixed``: log, log1m and linear floats, integers on linear and log scales
  and a categorical, with an exact optimum by construction.

Instances (option ``instance``, as COCO does): run ``k`` of a suite passes
seed ``k`` to ``evaluate``, and every function but ``mixed`` turns it into an
instance of itself, so that a deterministic searcher does not see the same
function, and score the same regret, on every seed (see ``Instances``):

- ``instance=shift`` (the default): a seeded shift of the input;
- ``instance=rotate``: the same shift plus a seeded rotation;
- ``instance=plain``: the published function, the same for every seed.

Every value of an instance is a value of the plain function at a point of its
domain, so ``optimum`` is unchanged, known exactly and never undercut; the
instance of ``seed`` attains it at ``minimiser(seed)``, inside the domain.
``function(X)`` is always the plain function and ``values(X, seed)`` the
instance's, vectorised; ``minimisers`` are the plain function's.
``forrester-1of2`` keeps its own per-seed scheme as ``instance=shift``.
``mixed`` has no instances: its optimum sits on integers and a category and
is exact by construction (every term exactly 0), which a shift would break.

Source for the formulas, domains and minimisers: S. Surjanovic and
D. Bingham, *Virtual Library of Simulation Experiments: Test Functions and
Datasets* (Simon Fraser University, 2013), https://www.sfu.ca/~ssurjano/.
"""

from __future__ import annotations

import abc
import difflib
import math
from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import ClassVar

import numpy as np

from bench import Categorical, Evaluation, Float, Int, Objective, Space
from bench.space import Value

#: The values of the option ``instance``.
INSTANCES = ("shift", "rotate", "plain")

#: Separates the instance stream from other uses of the run seed (noise, data splits).
_INSTANCE_STREAM = 0x696E7374616E6365

#: Each component of an instance's shift is uniform in [-MAX_SHIFT, MAX_SHIFT], in
#: the unit cube of the domain.
MAX_SHIFT = 0.2


def instance_option(value: object, allowed: Sequence[str] = INSTANCES, why: str = "") -> str:
    """``value`` if it is one of ``allowed``, else a ValueError naming the option."""
    if isinstance(value, str) and value in allowed:
        return value
    reason = f" ({why})" if why else ""
    raise ValueError(
        f"option instance={value!r}: must be one of {', '.join(map(repr, allowed))}{reason}"
    )


def fold(t: np.ndarray) -> np.ndarray:
    """The triangle wave of period 2 that maps the real line onto [0, 1]: the
    identity on [0, 1] (exactly, in floating point), reflection at 0 and 1 beyond.
    Equal to 1 - |(t mod 2) - 1|, and continuous."""
    r = np.mod(t, 2.0)
    return np.where(r <= 1.0, r, 2.0 - r)


def orthogonal(rng: np.random.Generator, d: int) -> np.ndarray:
    """A random orthogonal d x d matrix, Haar-distributed: the Q of the QR
    factorisation of a Gaussian matrix, its columns' signs fixed by R's diagonal."""
    q, r = np.linalg.qr(rng.standard_normal((d, d)))
    return q * np.where(np.diag(r) < 0, -1.0, 1.0)


class Instances:
    """The per-seed instances of a function on the box [low, high] (as in COCO).

    In the unit cube of the box, u = (x - low) / (high - low), the instance of
    ``seed`` is

        u' = fold(a + R (u - a - s)),    x' = low + u' (high - low),

    and its value at x is the plain function's at x'. s is the shift, each
    component uniform in [-0.2, 0.2], from a generator of (a fixed tag, seed)
    only, so it depends on nothing else the seed drives (noise, data splits);
    R is the identity (``shift``) or a random orthogonal matrix drawn next from
    the same generator (``rotate``: the same shift, plus a rotation); a is a
    plain minimiser in unit coordinates (the anchor); ``fold`` reflects at the
    bounds. Hence:

    - every value is the plain function's at a point x' of the box, so the
      optimum value is unchanged and nothing undercuts it;
    - the instance attains it at u = a + s (there u' = fold(a) = a), which
      must lie in the cube: the anchor is the first plain minimiser that the
      drawn s keeps inside; if s takes every one out, the components of s
      that take the first out change sign (enough, since |s_i| <= 0.2: if
      a_i + s_i > 1 then a_i > 0.8 and a_i - s_i > 0.6). The rotation turns
      about that minimiser, so ``rotate`` has the same minimiser as ``shift``;
    - the instance is continuous (fold is), not smooth at a reflection.

    Without a known minimiser the anchor is the centre and ``minimiser`` fails.
    ``plain`` is the plain function, bit for bit, for every seed.
    """

    def __init__(
        self,
        kind: str,
        low: Sequence[float],
        high: Sequence[float],
        minimisers: Sequence[Sequence[float]] = (),
    ) -> None:
        self.kind = instance_option(kind)
        self.low = np.asarray(low, dtype=float)
        self.high = np.asarray(high, dtype=float)
        self.span = self.high - self.low
        self.anchors = (
            np.asarray(minimisers, dtype=float).reshape(-1, len(self.low)) - self.low
        ) / self.span
        self._cache: dict[int, tuple[np.ndarray, np.ndarray | None, np.ndarray]] = {}

    def draw(self, seed: int) -> tuple[np.ndarray, np.ndarray | None, np.ndarray]:
        """(s, R, a) of ``seed``: the shift, the rotation (None for ``shift``) and the
        anchor, in unit coordinates."""
        key = int(seed)
        if key not in self._cache:
            if len(self._cache) >= 256:
                self._cache.clear()
            rng = np.random.default_rng(np.random.SeedSequence([_INSTANCE_STREAM, key % 2**64]))
            d = len(self.low)
            s = rng.uniform(-MAX_SHIFT, MAX_SHIFT, d)
            rotation = orthogonal(rng, d) if self.kind == "rotate" else None
            inside = [a for a in self.anchors if np.all((a + s >= 0.0) & (a + s <= 1.0))]
            if inside:
                anchor = inside[0]
            elif len(self.anchors):
                anchor = self.anchors[0]
                s = np.where((anchor + s < 0.0) | (anchor + s > 1.0), -s, s)
            else:
                anchor = np.full(d, 0.5)
            self._cache[key] = (s, rotation, anchor)
        return self._cache[key]

    def transform(self, X: np.ndarray, seed: int) -> np.ndarray:
        """The points x' (rows) at which the plain function gives the instance's
        values at the rows of ``X``."""
        X = np.asarray(X, dtype=float)
        if self.kind == "plain":
            return X
        s, rotation, anchor = self.draw(seed)
        t = (X - self.low) / self.span - anchor - s
        if rotation is not None:
            t = t @ rotation.T
        return np.clip(self.low + fold(anchor + t) * self.span, self.low, self.high)

    def minimiser(self, seed: int) -> np.ndarray:
        """A point of the box where the instance of ``seed`` attains the optimum."""
        if not len(self.anchors):
            raise ValueError("no known minimiser: the optimum of this instance is unknown")
        if self.kind == "plain":
            return self.low + self.anchors[0] * self.span
        s, _, anchor = self.draw(seed)
        return np.clip(self.low + (anchor + s) * self.span, self.low, self.high)

    def on(self, low: Sequence[float], high: Sequence[float], minimisers) -> Instances:
        """The same kind of instances on another box (a restricted space)."""
        return Instances(self.kind, low, high, minimisers)


class SyntheticFunction(Objective):
    """A function of real parameters ``x1..xd`` on a box, an instance per seed (option instance)."""

    seconds_per_evaluation = 1.0

    bounds: ClassVar[Sequence[tuple[float, float]]]
    minimiser_points: ClassVar[Sequence[Sequence[float]]] = ()

    def __init__(self, instance: str = "shift") -> None:
        self._build(self.bounds, self.minimiser_points, instance)

    def _build(
        self,
        bounds: Sequence[tuple[float, float]],
        points: Sequence[Sequence[float]],
        instance: str = "shift",
    ) -> None:
        self.instance = instance_option(instance)
        self.space = Space({f"x{i + 1}": Float(lo, hi) for i, (lo, hi) in enumerate(bounds)})
        self.minimisers = tuple(dict(zip(self.space.names, p)) for p in points)
        if points:
            self.optimum = float(self.function(np.asarray(points[:1], float))[0])
        self._names = self.space.names
        self.instances = Instances(self.instance, *zip(*bounds), points)

    @staticmethod
    @abc.abstractmethod
    def function(X: np.ndarray) -> np.ndarray:
        """The plain function's values at the rows of ``X`` (shape (n, d)), in its own domain."""

    def values(self, X: np.ndarray, seed: int) -> np.ndarray:
        """The values of the instance of ``seed`` at the rows of ``X`` (shape (n, d))."""
        return self.function(self.instances.transform(X, seed))

    def minimiser(self, seed: int) -> dict[str, float]:
        """A configuration where the instance of ``seed`` attains ``optimum``."""
        return dict(zip(self._names, map(float, self.instances.minimiser(seed))))

    def evaluate(
        self, config: Mapping[str, Value], fidelity: float | None = None, *, seed: int
    ) -> Evaluation:
        x = np.array([[config[name] for name in self._names]], dtype=float)
        return Evaluation(float(self.values(x, seed)[0]))

    def restricted(self, space: Space) -> Objective:
        """Searched over a sub-box: the instances are built on the sub-box, around
        the plain minimisers inside it, so that each seed's minimiser is inside too."""
        clone = super().restricted(space)
        if isinstance(clone, SyntheticFunction) and self.instance != "plain":
            dims = list(space.values())
            clone.instances = self.instances.on(
                np.maximum([float(d.low) for d in dims], self.instances.low),
                np.minimum([float(d.high) for d in dims], self.instances.high),
                [[float(m[n]) for n in self._names] for m in clone.minimisers],
            )
        return clone


class Branin(SyntheticFunction):
    """Branin-Hoo, 2-D, three global minima (f* = 5/(4 pi))."""

    name = "branin"
    bounds = ((-5.0, 10.0), (0.0, 15.0))
    minimiser_points = ((-math.pi, 12.275), (math.pi, 2.275), (3 * math.pi, 2.475))

    @staticmethod
    def function(X: np.ndarray) -> np.ndarray:
        x1, x2 = X[:, 0], X[:, 1]
        b, c, t = 5.1 / (4 * math.pi**2), 5 / math.pi, 1 / (8 * math.pi)
        return (x2 - b * x1**2 + c * x1 - 6) ** 2 + 10 * (1 - t) * np.cos(x1) + 10


_H6_ALPHA = np.array([1.0, 1.2, 3.0, 3.2])
_H6_A = np.array(
    [
        [10, 3, 17, 3.5, 1.7, 8],
        [0.05, 10, 17, 0.1, 8, 14],
        [3, 3.5, 1.7, 10, 17, 8],
        [17, 8, 0.05, 10, 0.1, 14],
    ]
)
_H6_P = 1e-4 * np.array(
    [
        [1312, 1696, 5569, 124, 8283, 5886],
        [2329, 4135, 8307, 3736, 1004, 9991],
        [2348, 1451, 3522, 2883, 3047, 6650],
        [4047, 8828, 8732, 5743, 1091, 381],
    ]
)


class Hartmann6(SyntheticFunction):
    """Hartmann, 6-D on [0, 1]^6, one global minimum (f* ~ -3.32237), six local minima."""

    name = "hartmann6"
    bounds = ((0.0, 1.0),) * 6
    # The literature minimiser (0.20169, 0.150011, 0.476874, 0.275332, 0.311652, 0.6573)
    # polished with L-BFGS-B and Nelder-Mead to full double precision.
    minimiser_points = (
        (
            0.20168950308154784,
            0.15001069256125274,
            0.47687397826899963,
            0.2753324293380429,
            0.31165161699824356,
            0.6573005342028397,
        ),
    )

    @staticmethod
    def function(X: np.ndarray) -> np.ndarray:
        inner = np.sum(_H6_A[None, :, :] * (X[:, None, :] - _H6_P[None, :, :]) ** 2, axis=2)
        return -np.exp(-inner) @ _H6_ALPHA


class ForresterOneOfTwo(SyntheticFunction):
    """Forrester et al. (2008) in x1, shifted per seed; x2 does nothing (1 of 2 dimensions matter).

    Bergstra & Bengio (2012)'s argument for random search: a grid of n points
    tries only sqrt(n) distinct values of the one dimension that matters.
    Where the minimiser falls between grid lines would otherwise decide the
    contest by luck, so each seed is an instance (as in COCO): x1 in [0, 1]
    maps to t = 0.8 x1 + s with s ~ U[0, 0.2] drawn from the seed, which keeps
    the minimiser t* = 0.75725 inside and the optimum unchanged. This scheme
    predates the ``Instances`` of the other functions and is kept as its
    ``instance=shift`` (the default), so its runs are unchanged;
    ``instance=plain`` is t = x1 for every seed. A rotation would make x2
    matter, which defeats the function's purpose, so ``rotate`` is refused.
    """

    name = "forrester-1of2"
    bounds = ((0.0, 1.0), (0.0, 1.0))
    #: argmin of (6t - 2)^2 sin(12t - 4) on [0, 1], bounded Brent to 1e-14.
    T_STAR = 0.7572487585232999

    def __init__(self, instance: str = "shift") -> None:
        why = "a rotation would make x2 matter"
        super().__init__(instance_option(instance, ("shift", "plain"), why))
        self.optimum = float(self.function(np.array([[self.T_STAR, 0.0]]))[0])
        self.minimisers = ({"x1": self.T_STAR, "x2": 0.5},) if instance == "plain" else ()

    @staticmethod
    @lru_cache(maxsize=1024)
    def shift(seed: int) -> float:
        """The instance offset s of ``seed``."""
        return float(np.random.default_rng([seed, 1012]).uniform(0.0, 0.2))

    def minimiser(self, seed: int) -> dict[str, float]:
        if self.instance == "plain":
            return {"x1": self.T_STAR, "x2": 0.5}
        return {"x1": (self.T_STAR - self.shift(seed)) / 0.8, "x2": 0.5}

    @staticmethod
    def function(X: np.ndarray) -> np.ndarray:
        t = X[:, 0]
        return (6 * t - 2) ** 2 * np.sin(12 * t - 4)

    def values(self, X: np.ndarray, seed: int) -> np.ndarray:
        X = np.asarray(X, dtype=float)
        t = X[:, 0] if self.instance == "plain" else 0.8 * X[:, 0] + self.shift(seed)
        return self.function(t[:, None])

    def restricted(self, space: Space) -> Objective:
        return Objective.restricted(self, space)


# Options


#: The most parameters a synthetic function of any dimension takes.
MAX_DIMS = 1_000


def int_option(option: str, value: object, minimum: int, why: str, maximum: int = MAX_DIMS) -> int:
    """``value`` as an int in [``minimum``, ``maximum``], or a ValueError naming
    ``option`` and ``why``."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise ValueError(f"option {option}={value!r}: must be an integer >= {minimum} ({why})")
    if value < minimum:
        raise ValueError(f"option {option}={value!r}: must be >= {minimum} ({why})")
    if value > maximum:
        raise ValueError(f"option {option}={value!r}: must be at most {maximum:,}")
    return int(value)


# Fixed dimension


class Forrester(SyntheticFunction):
    """Forrester et al. (2008), 1-D on [0, 1]: (6x - 2)^2 sin(12x - 4), one global, one local minimum.

    A. Forrester, A. Sobester and A. Keane, *Engineering Design via Surrogate
    Modelling* (Wiley, 2008); https://www.sfu.ca/~ssurjano/forretal08.html.
    The unshifted function behind ``forrester-1of2``, with the same optimum.
    """

    name = "forrester"
    bounds = ((0.0, 1.0),)
    minimiser_points = ((ForresterOneOfTwo.T_STAR,),)

    @staticmethod
    def function(X: np.ndarray) -> np.ndarray:
        t = X[:, 0]
        return (6 * t - 2) ** 2 * np.sin(12 * t - 4)


class SixHumpCamel(SyntheticFunction):
    """Six-hump camel, 2-D on [-3, 3] x [-2, 2], two global minima (f* ~ -1.03163), four local.

    f(x) = (4 - 2.1 x1^2 + x1^4 / 3) x1^2 + x1 x2 + (-4 + 4 x2^2) x2^2
    (https://www.sfu.ca/~ssurjano/camel6.html; L. C. W. Dixon and G. P. Szegö,
    *Towards Global Optimisation 2*, North-Holland, 1978).
    """

    name = "six-hump-camel"
    bounds = ((-3.0, 3.0), (-2.0, 2.0))
    # The literature's +-(0.0898, -0.7126), polished (module docstring). f(-x) = f(x)
    # holds exactly in floating point (every term is even), so both minima are equal.
    minimiser_points = (
        (0.08984201310031806, -0.7126564030207396),
        (-0.08984201310031806, 0.7126564030207396),
    )

    @staticmethod
    def function(X: np.ndarray) -> np.ndarray:
        x1, x2 = X[:, 0], X[:, 1]
        return (4 - 2.1 * x1**2 + x1**4 / 3) * x1**2 + x1 * x2 + (-4 + 4 * x2**2) * x2**2


class GoldsteinPrice(SyntheticFunction):
    """Goldstein-Price, 2-D on [-2, 2]^2, one global minimum f(0, -1) = 3, several local minima.

    A. A. Goldstein and J. F. Price, "On descent from local minima",
    *Mathematics of Computation* 25 (1971), 569-574;
    https://www.sfu.ca/~ssurjano/goldpr.html. Values span 3 to about 1e6.
    """

    name = "goldstein-price"
    bounds = ((-2.0, 2.0), (-2.0, 2.0))
    minimiser_points = ((0.0, -1.0),)

    @staticmethod
    def function(X: np.ndarray) -> np.ndarray:
        x1, x2 = X[:, 0], X[:, 1]
        a = 1 + (x1 + x2 + 1) ** 2 * (19 - 14 * x1 + 3 * x1**2 - 14 * x2 + 6 * x1 * x2 + 3 * x2**2)
        b = 30 + (2 * x1 - 3 * x2) ** 2 * (
            18 - 32 * x1 + 12 * x1**2 + 48 * x2 - 36 * x1 * x2 + 27 * x2**2
        )
        return a * b


_H3_ALPHA = np.array([1.0, 1.2, 3.0, 3.2])
_H3_A = np.array([[3.0, 10, 30], [0.1, 10, 35], [3.0, 10, 30], [0.1, 10, 35]])
_H3_P = 1e-4 * np.array(
    [[3689, 1170, 2673], [4699, 4387, 7470], [1091, 8732, 5547], [381, 5743, 8828]]
)


class Hartmann3(SyntheticFunction):
    """Hartmann, 3-D on [0, 1]^3, one global minimum (f* ~ -3.86278), four local minima.

    https://www.sfu.ca/~ssurjano/hart3.html (Dixon and Szegö, 1978).
    """

    name = "hartmann3"
    bounds = ((0.0, 1.0),) * 3
    # The literature's (0.114614, 0.555649, 0.852547), polished (module docstring):
    # its first coordinate is off by 2.5e-5, the gradient vanishes at 0.1145888...
    minimiser_points = ((0.11458887665506896, 0.5556488946169301, 0.8525469846866774),)

    @staticmethod
    def function(X: np.ndarray) -> np.ndarray:
        inner = np.sum(_H3_A[None, :, :] * (X[:, None, :] - _H3_P[None, :, :]) ** 2, axis=2)
        return -np.exp(-inner) @ _H3_ALPHA


# Any dimension


class ScalableFunction(SyntheticFunction):
    """A function of any number of parameters ``x1..x{dims}``, all on one interval.

    ``dims`` (default 2) and ``instance`` are the options; the plain function's
    minimiser has ``minimiser_coordinate`` in every coordinate.
    """

    domain: ClassVar[tuple[float, float]]
    minimiser_coordinate: ClassVar[float]
    min_dims: ClassVar[int] = 1
    #: Why ``dims`` must be at least ``min_dims`` (for the error message).
    why_min_dims: ClassVar[str] = "the number of parameters x1..x{dims}"

    def __init__(self, dims: int = 2, instance: str = "shift") -> None:
        self.dims = int_option("dims", dims, self.min_dims, f"{self.name}: {self.why_min_dims}")
        self._build(
            (self.domain,) * self.dims, ((self.minimiser_coordinate,) * self.dims,), instance
        )


class Rosenbrock(ScalableFunction):
    """Rosenbrock, any d >= 2 (option dims) on [-5, 10]^d, minimum 0 at (1, ..., 1) in a curved valley.

    f(x) = sum_{i<d} 100 (x_{i+1} - x_i^2)^2 + (x_i - 1)^2
    (H. H. Rosenbrock, "An automatic method for finding the greatest or least
    value of a function", *The Computer Journal* 3 (1960), 175-184;
    https://www.sfu.ca/~ssurjano/rosen.html).
    """

    name = "rosenbrock"
    domain = (-5.0, 10.0)
    minimiser_coordinate = 1.0
    min_dims = 2
    why_min_dims = "it sums over consecutive pairs of coordinates"

    @staticmethod
    def function(X: np.ndarray) -> np.ndarray:
        head, tail = X[:, :-1], X[:, 1:]
        return np.sum(100 * (tail - head**2) ** 2 + (head - 1) ** 2, axis=1)


class Ackley(ScalableFunction):
    """Ackley, any d (option dims) on [-32.768, 32.768]^d, minimum 0 at the origin, many local minima.

    f(x) = -a exp(-b sqrt(mean x_i^2)) - exp(mean cos(c x_i)) + a + e with
    a = 20, b = 0.2, c = 2 pi (D. H. Ackley, *A Connectionist Machine for
    Genetic Hillclimbing*, Kluwer, 1987; https://www.sfu.ca/~ssurjano/ackley.html),
    computed as a (1 - exp(-b r)) + e (1 - exp(m - 1)), which is exactly 0 at the
    origin and never negative in floating point.
    """

    name = "ackley"
    domain = (-32.768, 32.768)
    minimiser_coordinate = 0.0

    @staticmethod
    def function(X: np.ndarray) -> np.ndarray:
        r = np.sqrt(np.mean(X**2, axis=1))
        m = np.mean(np.cos(2 * np.pi * X), axis=1)
        return -20.0 * np.expm1(-0.2 * r) - math.e * np.expm1(m - 1.0)


class Rastrigin(ScalableFunction):
    """Rastrigin, any d (option dims) on [-5.12, 5.12]^d, minimum 0 at the origin, a lattice of local minima.

    f(x) = 10 d + sum_i x_i^2 - 10 cos(2 pi x_i) (L. A. Rastrigin, *Systems of
    Extremal Control*, Nauka, 1974; https://www.sfu.ca/~ssurjano/rastr.html),
    computed as sum_i x_i^2 + 10 (1 - cos(2 pi x_i)): exactly 0 at the origin.
    """

    name = "rastrigin"
    domain = (-5.12, 5.12)
    minimiser_coordinate = 0.0

    @staticmethod
    def function(X: np.ndarray) -> np.ndarray:
        return np.sum(X**2 + 10 * (1 - np.cos(2 * np.pi * X)), axis=1)


class Levy(ScalableFunction):
    """Levy, any d (option dims) on [-10, 10]^d, minimum 0 at (1, ..., 1), many local minima.

    With w_i = 1 + (x_i - 1) / 4: f(x) = sin^2(pi w_1)
    + sum_{i<d} (w_i - 1)^2 (1 + 10 sin^2(pi w_i + 1)) + (w_d - 1)^2 (1 + sin^2(2 pi w_d))
    (https://www.sfu.ca/~ssurjano/levy.html; A. V. Levy and A. Montalvo, SIAM J.
    Sci. Stat. Comput. 6, 1985). sin^2(pi w_1) is computed as sin^2(pi (w_1 - 1)),
    equal in real arithmetic and exactly 0 at the minimiser in floating point
    (where sin(pi) is 1.2e-16, not 0).
    """

    name = "levy"
    domain = (-10.0, 10.0)
    minimiser_coordinate = 1.0

    @staticmethod
    def function(X: np.ndarray) -> np.ndarray:
        u = (X - 1) / 4  # w - 1
        first = np.sin(np.pi * u[:, 0]) ** 2
        middle = np.sum(
            u[:, :-1] ** 2 * (1 + 10 * np.sin(np.pi * (1 + u[:, :-1]) + 1) ** 2), axis=1
        )
        last = u[:, -1] ** 2 * (1 + np.sin(2 * np.pi * (1 + u[:, -1])) ** 2)
        return first + middle + last


class StyblinskiTang(ScalableFunction):
    """Styblinski-Tang, any d (option dims) on [-5, 5]^d, minimum ~ -39.16617 d at x_i ~ -2.903534.

    f(x) = sum_i (x_i^4 - 16 x_i^2 + 5 x_i) / 2 (M. A. Styblinski and T.-S.
    Tang, "Experiments in nonconvex optimization", *Neural Networks* 3 (1990),
    467-483; https://www.sfu.ca/~ssurjano/stybtang.html, whose -39.16599 d is
    rounded from a rounded minimiser). 2^d local minima; the global one is in
    the corner with every x_i < 0.
    """

    name = "styblinski-tang"
    domain = (-5.0, 5.0)
    #: The root of f' = 4x^3 - 32x + 5 near -2.903534: scipy brentq, confirmed by mpmath.
    minimiser_coordinate = -2.903534027771177

    @staticmethod
    def function(X: np.ndarray) -> np.ndarray:
        return 0.5 * np.sum(X**4 - 16 * X**2 + 5 * X, axis=1)


#: The functions ``embedded`` and ``noisy`` wrap, by registry name.
FIXED_DIMENSION: dict[str, type[SyntheticFunction]] = {
    cls.name: cls for cls in (Branin, Forrester, GoldsteinPrice, Hartmann3, Hartmann6, SixHumpCamel)
}


def fixed_function(name: object, instance: str = "shift") -> SyntheticFunction:
    """The fixed-dimension synthetic function registered as ``name`` (option ``function``)."""
    if isinstance(name, str) and name in FIXED_DIMENSION:
        return FIXED_DIMENSION[name](instance)
    close = difflib.get_close_matches(str(name), list(FIXED_DIMENSION), n=3, cutoff=0.6)
    hint = f"; did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
    raise ValueError(
        f"option function={name!r}: not a fixed-dimension synthetic function{hint} "
        f"(valid: {', '.join(sorted(FIXED_DIMENSION))})"
    )


# Low effective dimensionality


class Embedded(Objective):
    """Low effective dimensionality: a function of k of dims parameters, the rest idle (Bergstra & Bengio 2012).

    J. Bergstra and Y. Bengio, "Random search for hyper-parameter
    optimization", *JMLR* 13 (2012), 281-305: when few parameters matter, a
    grid spends its budget repeating the same few values of those. Options:
    ``function`` (a fixed-dimension function: branin, forrester,
    goldstein-price, hartmann3, hartmann6, six-hump-camel) and ``dims`` (the
    total, at least k) and ``instance`` (the function's instances, see the
    module). x1..xk map linearly from [0, 1] onto the function's domain;
    x{k+1}..x{dims} are ignored. The optimum is the function's; the listed
    minimisers (the plain function's) and ``minimiser(seed)`` put the ignored
    parameters at 0.5.
    """

    seconds_per_evaluation = 1.0

    name = "embedded"

    def __init__(self, function: str = "branin", dims: int = 6, instance: str = "shift") -> None:
        self.instance = instance_option(instance)
        self.base = fixed_function(function, self.instance)
        k = len(self.base.space)
        self.dims = int_option(
            "dims", dims, k, f"the first {k} parameters are the inputs of {function}"
        )
        self.space = Space({f"x{i + 1}": Float(0.0, 1.0) for i in range(self.dims)})
        self._names = self.space.names
        dims_of_base = list(self.base.space.values())
        self._low = np.array([d.low for d in dims_of_base])
        self._span = np.array([d.high for d in dims_of_base]) - self._low
        self._k = k
        self.optimum = self.base.optimum
        self.minimisers = tuple(self._lift(m) for m in self.base.minimisers)

    def _lift(self, minimiser: Mapping[str, Value]) -> dict[str, Value]:
        x = np.array([float(minimiser[n]) for n in self.base.space.names])
        u = np.clip((x - self._low) / self._span, 0.0, 1.0)
        return dict(zip(self._names, [*map(float, u), *[0.5] * (self.dims - self._k)]))

    def function(self, X: np.ndarray) -> np.ndarray:
        """The plain function's values at the rows of ``X`` (shape (n, dims)), in [0, 1] coordinates."""
        X = np.asarray(X, dtype=float)
        return self.base.function(self._low + X[:, : self._k] * self._span)

    def values(self, X: np.ndarray, seed: int) -> np.ndarray:
        """The values of the instance of ``seed`` at the rows of ``X`` (shape (n, dims))."""
        X = np.asarray(X, dtype=float)
        return self.base.values(self._low + X[:, : self._k] * self._span, seed)

    def minimiser(self, seed: int) -> dict[str, Value]:
        """A configuration where the instance of ``seed`` attains ``optimum``."""
        return self._lift(self.base.minimiser(seed))

    def evaluate(
        self, config: Mapping[str, Value], fidelity: float | None = None, *, seed: int
    ) -> Evaluation:
        x = np.array([[config[name] for name in self._names]], dtype=float)
        return Evaluation(float(self.values(x, seed)[0]))

    def restricted(self, space: Space) -> Objective:
        """Searched over a sub-box: the function's instances are built on its image."""
        clone = super().restricted(space)
        assert isinstance(clone, Embedded)
        dims = list(space.values())[: self._k]
        low = self._low + np.array([float(d.low) for d in dims]) * self._span
        high = self._low + np.array([float(d.high) for d in dims]) * self._span
        box = Space({n: Float(lo, hi) for n, lo, hi in zip(self.base.space.names, low, high)})
        clone.base = self.base.restricted(box)
        return clone


# Noise


def noise_generator(seed: int, x: np.ndarray) -> np.random.Generator:
    """The generator of the noise at the point ``x`` for ``seed``: seeded by the seed and
    the float64 bits of x (-0.0 counted as 0.0), so it depends on nothing else."""
    bits = (np.asarray(x, dtype=np.float64).ravel() + 0.0).view(np.uint64)
    entropy = [_NOISE_STREAM, int(seed) % 2**64, *(int(b) for b in bits)]
    return np.random.default_rng(np.random.SeedSequence(entropy))


#: Separates the noise stream from other uses of the run seed.
_NOISE_STREAM = 0x6E6F697379


class Noisy(Objective):
    """A fixed-dimension function plus Gaussian noise (sd: option noise), judged on its noiseless value.

    Options: ``function`` (branin, forrester, goldstein-price, hartmann3,
    hartmann6, six-hump-camel), ``noise`` (the standard deviation, in the
    function's own units) and ``instance`` (the function's instances, see the
    module: f below is the instance of the seed). The searcher sees f(x) + noise * N(0, 1); the draw
    comes from a generator seeded by (seed, the bits of x), so an evaluation is
    reproducible, a repeated (x, seed) gives the same value, and seeds differ.
    ``extras["test"]`` is f(x), the value the report judges an incumbent by;
    the optimum is f's. ``values(X, seed)`` is the noiseless f, ``function``
    the noiseless plain function.
    """

    seconds_per_evaluation = 1.0

    name = "noisy"

    def __init__(
        self, function: str = "branin", noise: float = 0.1, instance: str = "shift"
    ) -> None:
        self.instance = instance_option(instance)
        self.base = fixed_function(function, self.instance)
        if (
            isinstance(noise, bool)
            or not isinstance(noise, (int, float))
            or not math.isfinite(noise)
            or noise < 0
        ):
            raise ValueError(
                f"option noise={noise!r}: must be a finite number >= 0 "
                "(the standard deviation of the additive noise)"
            )
        self.noise = float(noise)
        self.space = self.base.space
        self._names = self.space.names
        self.optimum = self.base.optimum
        self.minimisers = self.base.minimisers

    def function(self, X: np.ndarray) -> np.ndarray:
        """The plain function's noiseless values at the rows of ``X`` (shape (n, d))."""
        return self.base.function(np.asarray(X, dtype=float))

    def values(self, X: np.ndarray, seed: int) -> np.ndarray:
        """The noiseless values of the instance of ``seed`` at the rows of ``X``."""
        return self.base.values(np.asarray(X, dtype=float), seed)

    def minimiser(self, seed: int) -> dict[str, float]:
        """A configuration where the noiseless instance of ``seed`` attains ``optimum``."""
        return self.base.minimiser(seed)

    def restricted(self, space: Space) -> Objective:
        clone = super().restricted(space)
        assert isinstance(clone, Noisy)
        clone.base = self.base.restricted(space)
        return clone

    def evaluate(
        self, config: Mapping[str, Value], fidelity: float | None = None, *, seed: int
    ) -> Evaluation:
        x = np.array([[config[name] for name in self._names]], dtype=float)
        clean = float(self.base.values(x, seed)[0])
        noisy = clean + self.noise * float(noise_generator(seed, x).standard_normal())
        return Evaluation(noisy, extras={"test": clean})


# Mixed types


class Mixed(Objective):
    """A training-like error over log, log1m and linear floats, integers (linear, log) and a categorical.

    By construction (exact optimum 0.1 at lr = 3e-3, momentum = 0.95,
    dropout = 0.3, layers = 3, units = 96, activation = relu): with
    a = log10(lr / 3e-3), b = log10((1 - momentum) / (1 - 0.95)) and
    c = log2(units / 96),

        f = 0.1 + (a - b)^2 + 0.5 b^2 + 2 (dropout - 0.3)^2
            + 0.05 (layers - 3)^2 + 0.1 c^2 + {relu: 0, tanh: 0.05, sigmoid: 0.15}

    (a - b is the log of the effective step lr / (1 - momentum), so lr and
    momentum interact as in SGD). Every term is exactly 0 at the minimiser in
    floating point (log of exactly 1). A test of how strategies handle types.
    """

    seconds_per_evaluation = 1.0

    name = "mixed"
    LR, MOMENTUM, DROPOUT, LAYERS, UNITS = 3e-3, 0.95, 0.3, 3, 96
    OFFSET: ClassVar[dict[str, float]] = {"relu": 0.0, "tanh": 0.05, "sigmoid": 0.15}

    def __init__(self) -> None:
        self.space = Space(
            {
                "lr": Float(1e-5, 1.0, "log"),
                "momentum": Float(0.5, 0.999, "log1m"),
                "dropout": Float(0.0, 0.8),
                "layers": Int(1, 8),
                "units": Int(8, 1024, "log"),
                "activation": Categorical(("relu", "tanh", "sigmoid")),
            }
        )
        self._names = self.space.names
        self.minimisers = (
            {
                "lr": self.LR,
                "momentum": self.MOMENTUM,
                "dropout": self.DROPOUT,
                "layers": self.LAYERS,
                "units": self.UNITS,
                "activation": "relu",
            },
        )
        self.optimum = self.evaluate(self.minimisers[0], seed=0).value

    def function(self, X: Sequence[Sequence[Value]] | np.ndarray) -> np.ndarray:
        """Values at the rows of ``X`` (values in the space's order; an object array)."""
        X = np.asarray(X, dtype=object)
        lr, momentum, dropout, layers, units = (X[:, i].astype(float) for i in range(5))
        a = np.log10(lr / self.LR)
        b = np.log10((1 - momentum) / (1 - self.MOMENTUM))
        c = np.log2(units / self.UNITS)
        offset = np.array([self.OFFSET[str(v)] for v in X[:, 5]], dtype=float)
        return (
            0.1
            + (a - b) ** 2
            + 0.5 * b**2
            + 2 * (dropout - self.DROPOUT) ** 2
            + 0.05 * (layers - self.LAYERS) ** 2
            + 0.1 * c**2
            + offset
        )

    def evaluate(
        self, config: Mapping[str, Value], fidelity: float | None = None, *, seed: int
    ) -> Evaluation:
        row = np.empty((1, len(self._names)), dtype=object)
        row[0, :] = [config[name] for name in self._names]
        return Evaluation(float(self.function(row)[0]))
