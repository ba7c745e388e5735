"""Problem documents in the reader's language: the ``Accept-Language`` header chooses between
English (the API's own words) and Indonesian, the language of the students and teachers the
pages serve. A problem keeps its stable ``code``; only ``title`` and ``detail`` change, looked
up by that code. A detail that carries data (a time, a field) has no Indonesian entry and stays
as the code wrote it, so nothing the reader needs is lost in translation.

Pure: no framework, no I/O (engine/problems.py calls it while rendering a problem)."""

from __future__ import annotations

import re

ENGLISH, INDONESIAN = "en", "id"
SUPPORTED = (ENGLISH, INDONESIAN)
# "in" is the withdrawn ISO 639 code for Indonesian that old Android phones still send
_ALIASES = {"in": INDONESIAN}
_RANGE = re.compile(r"^(\*|[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*)$")
_WEIGHT = re.compile(r"^[qQ]=(0(\.\d{0,3})?|1(\.0{0,3})?)$")


def preferred_language(header: str | None, default: str = ENGLISH) -> str:
    """The supported language the reader weights highest (RFC 9110 §12.5.4: a range with its
    q weight, 0 meaning "not this one"; on a tie the earlier range wins). A malformed range
    is skipped, never an error: the header is the client's, and a problem must still render."""
    if not header:
        return default
    best, best_q = default, 0.0
    unwanted: set[str] = set()
    for entry in header[:1000].split(","):
        parts = [p.strip() for p in entry.split(";")]
        tag = parts[0]
        if not _RANGE.match(tag):
            continue
        q = 1.0
        for param in parts[1:]:
            if _WEIGHT.match(param):
                q = float(param[2:])
        base = tag.split("-")[0].lower()
        base = _ALIASES.get(base, base)
        if base == "*":
            candidates = [lang for lang in (default, *SUPPORTED) if lang not in unwanted]
            base = candidates[0] if candidates else default
        if base not in SUPPORTED:
            continue
        if q == 0:
            unwanted.add(base)
            if best == base and best_q > 0:
                best, best_q = default, 0.0
            continue
        if q > best_q and base not in unwanted:
            best, best_q = base, q
    return best


# code -> (title, detail or None to keep the detail the code wrote)
INDONESIAN_PROBLEMS: dict[str, tuple[str, str | None]] = {
    "not_found": ("Tidak ditemukan", "data yang diminta tidak ada atau bukan milik Anda"),
    "forbidden": ("Tidak diizinkan", "Anda tidak berhak melakukan ini"),
    "validation_failed": ("Permintaan tidak valid", None),
    "unauthorized": ("Perlu masuk", "silakan masuk lagi"),
    "invalid_credentials": ("Nama pengguna atau kata sandi salah", None),
    "invalid_card": ("Kode kartu ujian ini tidak berlaku", None),
    "card_not_valid_now": ("Kartu ujian ini tidak berlaku sekarang", None),
    "invalid_refresh_token": ("Sesi Anda tidak berlaku lagi", "silakan masuk lagi"),
    "refresh_token_reused": ("Sesi Anda tidak berlaku lagi", "silakan masuk lagi"),
    "rate_limited": ("Terlalu banyak percobaan", "tunggu sebentar, lalu coba lagi"),
    "method_not_allowed": ("Metode tidak diizinkan", None),
    "payload_too_large": ("Permintaan terlalu besar", None),
    "unsupported_media_type": ("Jenis isi tidak didukung", None),
    "internal_error": ("Terjadi kesalahan di server", "kesalahan ini sudah dicatat"),
    "service_unavailable": (
        "Layanan sedang tidak tersedia",
        "server sebentar tidak dapat menjangkau penyimpanannya; kirim permintaan lagi",
    ),
    "write_not_durable": (
        "Belum tersimpan dengan aman",
        "permintaan belum tersimpan di tempat yang tidak dapat hilang; kirim lagi",
    ),
    "time_expired": (
        "Waktu habis",
        "batas waktu dan masa tenggangnya sudah lewat; tidak ada yang disimpan",
    ),
    "sitting_submitted": ("Ujian ini sudah dikumpulkan", "jawaban tidak dapat diubah lagi"),
    "sitting_not_started": ("Ujian ini belum dimulai", None),
    "sitting_paused": (
        "Ujian dihentikan sementara",
        "pengawas menghentikan ujian; waktu tidak berjalan dan tidak ada yang disimpan",
    ),
    "device_replaced": (
        "Ujian dilanjutkan di perangkat lain",
        "ujian dibuka di perangkat lain; tidak ada lagi yang disimpan dari perangkat ini",
    ),
    "device_locked": (
        "Ujian ini terbuka di perangkat lain",
        "ujian ini hanya boleh dikerjakan di satu perangkat; minta pengawas membuka kuncinya",
    ),
    "exam_not_open": ("Ujian belum dibuka", None),
    "exam_closed": ("Ujian sudah ditutup", None),
    "results_not_released": (
        "Hasil belum diumumkan",
        "guru Anda akan mengumumkan hasil ujian ini",
    ),
    "answer_rate_limited": (
        "Terlalu banyak jawaban dalam waktu singkat",
        "jawaban dikirim lagi sebentar lagi; tidak ada yang hilang",
    ),
    "navigation_linear": (
        "Tidak dapat kembali ke soal sebelumnya",
        "ujian ini dikerjakan berurutan; jawaban untuk soal sebelumnya tidak disimpan",
    ),
    "weak_password": ("Kata sandi terlalu lemah", None),
    "not_graded_yet": ("Belum dinilai", None),
}


def localise(code: str, title: str, detail: str | None, language: str) -> tuple[str, str | None]:
    """The title and detail of a problem with this code, in the language chosen."""
    if language != INDONESIAN or code not in INDONESIAN_PROBLEMS:
        return title, detail
    new_title, new_detail = INDONESIAN_PROBLEMS[code]
    return new_title, detail if new_detail is None else new_detail
