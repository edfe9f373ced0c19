"""Current administrative divisions (34 provinces, communes) from ``vietnam-provinces``.

Two tiers since 1/7/2025: province (tỉnh / thành phố trung ương) and commune
(xã / phường / đặc khu). Codes are GSO codes as zero-padded strings: provinces 2
digits ("01"), communes 5 digits ("00004"). The package's data module is large, so
it is imported on first use and the derived lists are cached.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from desk_app.textfold import fold


@dataclass(frozen=True)
class _Commune:
    code: str
    name: str
    province_code: str
    key: str  # folded name, for search


@dataclass(frozen=True)
class _Data:
    provinces: tuple[tuple[str, str], ...]
    province_names: dict[str, str]
    province_full: dict[str, str]
    communes: dict[str, _Commune]
    by_province: dict[str, tuple[tuple[str, str], ...]]


def _province_code(code: str | int) -> str:
    return f"{int(code):02d}" if str(code).strip().isdigit() else str(code)


def _commune_code(code: str | int) -> str:
    return f"{int(code):05d}" if str(code).strip().isdigit() else str(code)


@cache
def _data() -> _Data:
    from vietnam_provinces import Province, VietNamDivisionType, Ward

    provs = sorted(Province.iter_all(), key=lambda p: int(p.code))
    provinces = tuple((f"{int(p.code):02d}", p.name) for p in provs)
    full = {
        f"{int(p.code):02d}": (f"Tỉnh {p.name}" if p.division_type is VietNamDivisionType.TINH else p.name)
        for p in provs
    }
    communes: dict[str, _Commune] = {}
    grouped: dict[str, list[tuple[str, str]]] = {code: [] for code, _ in provinces}
    for w in sorted(Ward.iter_all(), key=lambda w: int(w.code)):
        c = _Commune(f"{int(w.code):05d}", w.name, f"{int(w.province_code):02d}", fold(w.name))
        communes[c.code] = c
        grouped.setdefault(c.province_code, []).append((c.code, c.name))
    return _Data(
        provinces=provinces,
        province_names=dict(provinces),
        province_full=full,
        communes=communes,
        by_province={k: tuple(v) for k, v in grouped.items()},
    )


def provinces() -> list[tuple[str, str]]:
    """All 34 provinces as (code, name), by code; names as the package spells them."""
    return list(_data().provinces)


def communes(province_code: str | int) -> list[tuple[str, str]]:
    """Communes of a province as (code, name), by code; empty for an unknown province."""
    return list(_data().by_province.get(_province_code(province_code), ()))


def province_name(code: str | int) -> str | None:
    """'56' -> 'Khánh Hòa'; None when unknown."""
    return _data().province_names.get(_province_code(code))


def province_full_name(code: str | int) -> str | None:
    """Name for printouts: 'Tỉnh Khánh Hòa', 'Thành phố Hà Nội'; None when unknown."""
    return _data().province_full.get(_province_code(code))


def commune_name(code: str | int) -> str | None:
    """'00004' -> 'Phường Ba Đình'; None when unknown."""
    c = _data().communes.get(_commune_code(code))
    return c.name if c else None


def commune_province(code: str | int) -> str | None:
    """Province code of a commune; None when unknown."""
    c = _data().communes.get(_commune_code(code))
    return c.province_code if c else None


def find_commune(
    name_fragment: str, province_code: str | int | None = None, limit: int | None = 50
) -> list[tuple[str, str, str]]:
    """Communes whose name contains the fragment, ignoring diacritics and case.

    Returns (code, name, province_code); matches at a word start come first
    ("ba dinh" finds "Phường Ba Đình" before "Xã Ba Đình Hạ"-like partial hits).
    """
    key = fold(name_fragment)
    if not key:
        return []
    data = _data()
    prov = _province_code(province_code) if province_code is not None else None
    hits: list[tuple[int, int, _Commune]] = []
    for c in data.communes.values():
        if prov is not None and c.province_code != prov:
            continue
        pos = c.key.find(key)
        if pos < 0:
            continue
        # rank: exact name without the type word, then word-start, then anywhere
        bare = c.key.split(" ", 1)[1] if " " in c.key else c.key
        if c.key.startswith("dac khu "):
            bare = c.key[len("dac khu ") :]
        if bare == key or c.key == key:
            rank = 0
        elif pos == 0 or c.key[pos - 1] == " ":
            rank = 1
        else:
            rank = 2
        hits.append((rank, int(c.code), c))
    hits.sort(key=lambda h: (h[0], h[1]))
    out = [(c.code, c.name, c.province_code) for _, _, c in hits]
    return out[:limit] if limit is not None else out
