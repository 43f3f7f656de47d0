"""doc_type, satker, tahun and pihak from page texts (lines of the seeds)."""

from __future__ import annotations

from pathlib import Path

import pytest

from normalize.document import (
    pages_to_document_info,
    text_to_pihak,
    text_to_satker,
    text_to_tahun,
    title_to_doc_type,
)

SEEDS = Path(__file__).resolve().parents[2] / "shared" / "seeds"

DECREE_PAGE = """SALINAN
KOMISI PEMILIHAN UMUM
KOTA MOJOKERTO
KEPUTUSAN KOMISI PEMILIHAN UMUM
KOTA MOJOKERTO
NOMOR 294 TAHUN 2024
TENTANG
PERUBAHAN ATAS KEPUTUSAN KOMISI PEMILIHAN UMUM KOTA MOJOKERTO
NOMOR 4 TAHUN 2024 TENTANG PENETAPAN KINERJA KOMISI PEMILIHAN
UMUM KOTA MOJOKERTO TAHUN 2024
Ditetapkan di Mojokerto
pada tanggal 24 Desember 2024"""
PK_KETUA_PAGE = """KOMISI PEMILIHAN UMUM KOTA MOJOKERTO
PERUBAHAN PERJANJIAN KINERJA TAHUN 2024
Nama : **USMUNI**
Jabatan : Ketua Komisi Pemilihan Umum Kota Mojokerto
Mojokerto, 24 Desember 2024"""
PK_SEKRETARIS_PAGE = """PERUBAHAN PERJANJIAN KINERJA TAHUN 2024
Nama : **WIRATMOKO IMAN SANTOSO**
Jabatan : Sekretaris Komisi Pemilihan Umum Kota Mojokerto
Selanjutnya disebut Pihak Pertama
Nama : **USMUNI**
Jabatan : Ketua Komisi Pemilihan Umum Kota Mojokerto"""
PK_KASUBAG_PAGE = """PERUBAHAN PERJANJIAN KINERJA TAHUN 2024
Jabatan : Kepala Sub Bagian Perencanaan, Data dan Informasi
Jabatan : Sekretaris KPU Kota Mojokerto"""
TABLE_PAGE = "NO Sasaran Kegiatan Indikator kinerja Target\n1. Terwujudnya rencana kerja"
RKT_PAGE = "RENCANA KINERJA TAHUNAN (PERUBAHAN)\nSEKRETARIAT KPU KOTA MOJOKERTO TAHUN 2024"


def test_decree_with_several_pk_statements() -> None:
    pages = [
        (1, DECREE_PAGE),
        (2, PK_KETUA_PAGE),
        (3, TABLE_PAGE),
        (4, PK_SEKRETARIS_PAGE),
        (5, TABLE_PAGE),
        (6, PK_KASUBAG_PAGE),
        (7, RKT_PAGE),
        (8, TABLE_PAGE),
    ]
    info = pages_to_document_info(pages)
    assert (info.doc_type, info.satker, info.tahun) == ("KEPUTUSAN", "KPU Kota Mojokerto", 2024)
    assert info.pihak_by_page == (
        (2, "Ketua"),
        (4, "Sekretaris"),
        (6, "Kepala Sub Bagian Perencanaan, Data dan Informasi"),
        (7, ""),
    )
    assert [info.pihak_for_page(p) for p in (1, 3, 5, 8)] == ["", "Ketua", "Sekretaris", ""]


@pytest.mark.parametrize(
    ("title", "doc_type"),
    [
        ("PERUBAHAN PERJANJIAN KINERJA TAHUN 2024", "PK_PERUBAHAN"),
        ("PERJANJIAN KINERJA TAHUN 2023", "PK"),
        ("PERJANJIAN KINERIA TAHUN 2023", "PK"),  # OCR
        ("RENCANA KINERJA TAHUNAN", "RKT"),
        ("RENCANA AKSI KINERJA (PERUBAHAN)", "RENCANA_AKSI"),
        ("INDIKATOR KINERJA UTAMA KPU KABUPATEN PASURUAN TAHUN 2023", "IKU"),
        ("Laporan Akuntabilitas Kinerja Pemerintah (LAKIP) Tahun 2024", "LAKIP"),
        ("LAPORAN KINERJA KOMISI PEMILIHAN UMUM KOTA SERANG 2022", "LAKIP"),
        ("RENCANA STRATEGIS 2020-2024", "RENSTRA"),
        ("DAFTAR PEGAWAI", None),
    ],
)
def test_title_to_doc_type(title: str, doc_type: str | None) -> None:
    assert title_to_doc_type(title) == doc_type


@pytest.mark.parametrize(
    ("text", "satker"),
    [
        ("KOMISI PEMILIHAN UMUM KOTA MOJOKERTO NOMOR 294", "KPU Kota Mojokerto"),
        (
            "NAMA : SEKRETARIAT KOMISI PEMILIHAN UMUM\nKABUPATEN KUBU RAYA\nTAHUN : 2024",
            "Sekretariat KPU Kabupaten Kubu Raya",
        ),
        (
            "(LAKIP) Tahun 2024 pada Sekretariat KPU Kota Bontang dapat diselesaikan",
            "Sekretariat KPU Kota Bontang",
        ),
        ("Laporan Kinerja KPU Kabupaten Pasuruan Tahun 2023", "KPU Kabupaten Pasuruan"),
        ("tidak ada", ""),
    ],
)
def test_text_to_satker(text: str, satker: str) -> None:
    assert text_to_satker(text) == satker


@pytest.mark.parametrize(
    ("text", "tahun"),
    [
        ("NOMOR 294 TAHUN 2024", None),  # a decree number, not the year planned
        ("PERJANJIAN KINERJA TAHUN 2024", 2024),
        ("Tabel 2. 1 Program Kegiatan Tahun Anggaran 2024", 2024),
        ("TAHUN : 2024", 2024),
        ("Bontang, 25 Januari 2025", None),  # a signing date
    ],
)
def test_text_to_tahun(text: str, tahun: int | None) -> None:
    assert text_to_tahun(text) == tahun


@pytest.mark.parametrize(
    ("text", "pihak"),
    [
        ("Jabatan : Ketua Komisi Pemilihan Umum Kota Mojokerto", "Ketua"),
        ("Jabatan Sekretanis Komisi Pemilihan Umum Kgbupaten Pasuruan", "Sekretaris"),  # 001:L3182
        ("Jabatan . Kasobbag Hukum Komis Penmliban Umum", "Kasobbag Hukum"),  # 001:L3645
        (
            "Jabatan : Kepala Sub Bagian Keuangan, Umum dan Logistik",
            "Kepala Sub Bagian Keuangan, Umum dan Logistik",
        ),
        ("sumpah jabatan. Anggota", ""),
    ],
)
def test_text_to_pihak(text: str, pihak: str) -> None:
    assert text_to_pihak(text) == pihak


def seed_pages(name: str, lines_per_page: int = 60) -> list[tuple[int, str]]:
    lines = next(SEEDS.glob(f"{name}_*.txt")).read_text(encoding="utf-8").splitlines()
    return [
        (i // lines_per_page + 1, "\n".join(lines[i : i + lines_per_page]))
        for i in range(0, len(lines), lines_per_page)
    ]


@pytest.mark.skipif(not SEEDS.is_dir(), reason="seed texts not available")
@pytest.mark.parametrize(
    ("seed", "doc_type", "satker", "tahun"),
    [
        ("000", "KEPUTUSAN", "KPU Kota Mojokerto", 2024),
        ("001", "LAKIP", "KPU Kabupaten Pasuruan", 2023),  # noisy OCR: the vote beats "Pasurusn"
        ("002", "LAKIP", "Sekretariat KPU Kota Bontang", 2024),
        ("004", "RKT", "Sekretariat KPU Kabupaten Kubu Raya", 2024),
    ],
)
def test_seed_documents(seed: str, doc_type: str, satker: str, tahun: int) -> None:
    info = pages_to_document_info(seed_pages(seed))
    assert (info.doc_type, info.satker, info.tahun) == (doc_type, satker, tahun)
