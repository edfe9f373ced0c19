"""Administrative divisions wrapper (34 provinces, communes)."""

from __future__ import annotations

import subprocess
import sys

from desk_app import geo


def test_importing_geo_does_not_load_the_data() -> None:
    code = "import sys, desk_app.geo; print('vietnam_provinces' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_provinces() -> None:
    provs = geo.provinces()
    assert len(provs) == 34
    codes = [c for c, _ in provs]
    assert codes == sorted(codes) and len(set(codes)) == 34
    assert all(len(c) == 2 and c.isdigit() for c in codes)
    names = dict(provs)
    assert "Hà Nội" in names["01"]
    assert "Hồ Chí Minh" in names["79"]
    assert names["56"] == "Khánh Hòa"
    assert names["96"] == "Cà Mau"
    assert "Bình Dương" not in " ".join(names.values())  # merged into HCM in 2025
    provs.append(("99", "x"))  # callers get a copy
    assert len(geo.provinces()) == 34


def test_province_name_lookup() -> None:
    assert geo.province_name("56") == "Khánh Hòa"
    assert geo.province_name(56) == "Khánh Hòa"
    assert geo.province_name("056") == "Khánh Hòa"
    assert geo.province_name("74") is None  # Bình Dương's old code
    assert geo.province_name("") is None
    assert geo.province_full_name("56") == "Tỉnh Khánh Hòa"
    assert geo.province_full_name("01") == "Thành phố Hà Nội"


def test_communes() -> None:
    hn = geo.communes("01")
    assert len(hn) > 100
    assert ("00004", "Phường Ba Đình") in hn
    assert all(len(c) == 5 and c.isdigit() for c, _ in hn)
    assert all(name.split()[0] in ("Phường", "Xã", "Đặc") for _, name in hn)
    assert geo.communes(1) == hn
    assert geo.communes("00") == []
    total = sum(len(geo.communes(c)) for c, _ in geo.provinces())
    assert 3000 < total < 3500
    assert geo.commune_name("00004") == "Phường Ba Đình"
    assert geo.commune_name(4) == "Phường Ba Đình"
    assert geo.commune_name("99999") is None
    assert geo.commune_province("00004") == "01"


def test_find_commune_ignores_diacritics_and_case() -> None:
    hits = geo.find_commune("ba dinh")
    assert hits[0] == ("00004", "Phường Ba Đình", "01")
    assert geo.find_commune("BA ĐÌNH") == hits
    assert geo.find_commune("  Ba   Đình ") == hits
    kh = geo.find_commune("nha trang", province_code="56")
    assert kh and all(p == "56" for _, _, p in kh)
    assert kh[0][1] == "Phường Nha Trang"  # exact name ranks first
    assert geo.find_commune("nha trang", province_code="01") == []
    assert geo.find_commune("") == []
    assert len(geo.find_commune("a", limit=5)) == 5
    assert len(geo.find_commune("a", limit=None)) > 1000


def test_find_commune_handles_dac_khu() -> None:
    hits = geo.find_commune("phu quoc")
    assert hits[0][1] == "Đặc khu Phú Quốc"
    assert geo.find_commune("côn đảo", province_code="79")[0][1] == "Đặc khu Côn Đảo"
