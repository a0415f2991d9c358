"""A minimal reader for OLE2 / Compound File Binary (CFB) containers: directory and streams.

Two very different things share the CFB signature: a legacy ``.xls`` workbook
(with a ``Workbook`` or ``Book`` stream) and a password-protected ``.xlsx``,
which Office stores as a CFB with ``EncryptionInfo`` and ``EncryptedPackage``
streams. Telling them apart only needs the directory; checking an ``.xls``
before calamine parses it (see :mod:`workbooks`) needs its ``Workbook``
stream. This implements just that much of [MS-CFB] (header, FAT, DIFAT,
MiniFAT, directory) without a third-party dependency. Every chain walk is
bounded, so a damaged or hostile file raises NotCompoundFile instead of looping.
"""

from __future__ import annotations

import os
import struct
from dataclasses import dataclass
from types import TracebackType
from typing import BinaryIO

from .sniff import CFB_MAGIC

_HEADER_SIZE = 512
_HEADER_DIFAT_ENTRIES = 109
_DIRECTORY_ENTRY_SIZE = 128
_MINI_SECTOR_SIZE = 64
_END_OF_CHAIN = 0xFFFFFFFE
_MAX_REGULAR_SECTOR = 0xFFFFFFFA
_STORAGE, _STREAM, _ROOT = 1, 2, 5


def _u32_array(data: bytes) -> tuple[int, ...]:
    """Little-endian unsigned 32-bit integers packed in ``data``."""
    return tuple(int(value) for value in struct.unpack(f"<{len(data) // 4}I", data))


class NotCompoundFile(ValueError):
    """The bytes are not a readable CFB container (wrong signature, truncated, or looping chains)."""


@dataclass(frozen=True, slots=True)
class DirectoryEntry:
    name: str
    object_type: int
    start_sector: int
    size: int


class CompoundFile:
    """An open CFB container; use as a context manager."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self._size = os.path.getsize(path)
        self._handle: BinaryIO = open(path, "rb")  # noqa: SIM115  # closed by close()/__exit__
        try:
            self._read_header()
        except BaseException:
            self._handle.close()
            raise

    def __enter__(self) -> CompoundFile:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        self._handle.close()

    def _read_header(self) -> None:
        header = self._read_at(0, _HEADER_SIZE)
        if not header.startswith(CFB_MAGIC):
            raise NotCompoundFile("no CFB signature")
        sector_shift = int(struct.unpack_from("<H", header, 0x1E)[0])
        if sector_shift not in (9, 12):
            raise NotCompoundFile(f"unexpected sector shift {sector_shift}")
        self.sector_size = 1 << sector_shift
        self._entries_per_sector = self.sector_size // 4
        self._max_chain = self._size // self.sector_size + 1
        self._first_directory_sector = _u32_array(header[0x30:0x34])[0]
        self._mini_stream_cutoff, self._first_mini_fat_sector = _u32_array(header[0x38:0x40])
        first_difat_sector, difat_sector_count = _u32_array(header[0x44:0x4C])
        self._fat_sectors = list(_u32_array(header[0x4C : 0x4C + 4 * _HEADER_DIFAT_ENTRIES]))
        self._read_difat_chain(first_difat_sector, difat_sector_count)
        self._fat_cache: dict[int, tuple[int, ...]] = {}

    def _read_at(self, offset: int, length: int) -> bytes:
        if offset + length > self._size:
            raise NotCompoundFile("container is truncated")
        self._handle.seek(offset)
        data = self._handle.read(length)
        if len(data) != length:
            raise NotCompoundFile("container is truncated")
        return data

    def _read_sector(self, sector: int) -> bytes:
        if sector > _MAX_REGULAR_SECTOR:
            raise NotCompoundFile(f"invalid sector number {sector:#x}")
        return self._read_at((sector + 1) * self.sector_size, self.sector_size)

    def _read_difat_chain(self, sector: int, count: int) -> None:
        # Containers above ~7 MB (512-byte sectors) need more FAT sectors than the
        # header lists; the rest are listed in a chain of DIFAT sectors.
        seen: set[int] = set()
        while count > 0 and sector <= _MAX_REGULAR_SECTOR:
            if sector in seen:
                raise NotCompoundFile("DIFAT chain loops")
            seen.add(sector)
            entries = _u32_array(self._read_sector(sector))
            self._fat_sectors.extend(entries[:-1])
            sector = entries[-1]
            count -= 1

    def _next_sector(self, sector: int) -> int:
        fat_index, position = divmod(sector, self._entries_per_sector)
        if fat_index >= len(self._fat_sectors):
            raise NotCompoundFile("sector outside the FAT")
        entries = self._fat_cache.get(fat_index)
        if entries is None:
            entries = _u32_array(self._read_sector(self._fat_sectors[fat_index]))
            self._fat_cache[fat_index] = entries
        return entries[position]

    def _chain(self, sector: int) -> list[int]:
        chain: list[int] = []
        seen: set[int] = set()
        while sector != _END_OF_CHAIN:
            if sector in seen or len(chain) > self._max_chain:
                raise NotCompoundFile("sector chain loops")
            seen.add(sector)
            chain.append(sector)
            sector = self._next_sector(sector)
        return chain

    def _read_chain(self, sector: int, size: int | None = None) -> bytes:
        data = b"".join(self._read_sector(number) for number in self._chain(sector))
        if size is None:
            return data
        if len(data) < size:
            raise NotCompoundFile("stream is shorter than its directory entry says")
        return data[:size]

    def entries(self) -> list[DirectoryEntry]:
        """Every storage and stream in the directory (the root entry included)."""
        found: list[DirectoryEntry] = []
        for sector in self._chain(self._first_directory_sector):
            data = self._read_sector(sector)
            for offset in range(0, len(data), _DIRECTORY_ENTRY_SIZE):
                entry = data[offset : offset + _DIRECTORY_ENTRY_SIZE]
                name_length = int(struct.unpack_from("<H", entry, 64)[0])
                object_type = entry[66]
                if object_type not in (_STORAGE, _STREAM, _ROOT) or not 2 <= name_length <= 64:
                    continue
                start_sector, size = struct.unpack_from("<IQ", entry, 116)
                # The name length counts the UTF-16 terminator.
                name = entry[: name_length - 2].decode("utf-16-le", errors="replace")
                found.append(DirectoryEntry(name, object_type, int(start_sector), int(size)))
        return found

    def read_stream(self, entry: DirectoryEntry) -> bytes:
        """The content of a stream. Raises NotCompoundFile if its size is impossible for this file."""
        if entry.size > self._size:
            raise NotCompoundFile(f"stream {entry.name!r} claims {entry.size} bytes in a {self._size}-byte file")
        if entry.size >= self._mini_stream_cutoff:
            return self._read_chain(entry.start_sector, entry.size)
        # Small streams live in 64-byte mini sectors inside the root entry's stream.
        root = next((item for item in self.entries() if item.object_type == _ROOT), None)
        if root is None or root.size > self._size:
            raise NotCompoundFile("no usable root entry")
        mini_stream = self._read_chain(root.start_sector, root.size)
        mini_fat: tuple[int, ...] = ()
        if self._first_mini_fat_sector != _END_OF_CHAIN:
            mini_fat = _u32_array(self._read_chain(self._first_mini_fat_sector))
        parts: list[bytes] = []
        sector = entry.start_sector
        seen: set[int] = set()
        while sector != _END_OF_CHAIN and len(parts) * _MINI_SECTOR_SIZE < entry.size:
            if sector in seen or sector >= len(mini_fat):
                raise NotCompoundFile("mini sector chain is broken")
            seen.add(sector)
            parts.append(mini_stream[sector * _MINI_SECTOR_SIZE : (sector + 1) * _MINI_SECTOR_SIZE])
            sector = mini_fat[sector]
        data = b"".join(parts)
        if len(data) < entry.size:
            raise NotCompoundFile("stream is shorter than its directory entry says")
        return data[: entry.size]


def stream_names(path: str | os.PathLike[str]) -> set[str]:
    """Names of all storages and streams in the CFB file at ``path``.

    Raises NotCompoundFile when the container cannot be walked.
    """
    with CompoundFile(path) as container:
        return {entry.name for entry in container.entries()}
