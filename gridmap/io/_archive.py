"""Zip archives from users, opened without trusting anything they say about themselves.

A zip's central directory is written by whoever made the file, so every field in it can
lie: the sizes (a few KB claimed, hundreds of MB inflated), the names (``../../etc/x``,
``/etc/x``, ``C:\\x``, links to server files) and the number of members (thousands, to
exhaust memory and time before anything is read). Python's :mod:`zipfile` reads such
files faithfully, and GDAL's ``/vsizip/`` opens whatever member it is pointed at, so the
checks live here: names are decoded and refused when they could leave a folder, members
are counted, and what is *actually* inflated is counted byte by byte while it is written
into a private folder, where GDAL then opens it with an explicit driver.

Names are the other trouble: zips made on Chinese Windows store member names in GBK
without the UTF-8 flag, which :mod:`zipfile` reads as cp437 mojibake (``│»╤⌠╟°`` for
朝阳区). :func:`member_name` recovers them; no library does, because the zip format has no
field saying which legacy code page was used.
"""

from __future__ import annotations

import stat
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from gridmap._errors import ImportFileError
from gridmap.i18n import Message

#: Most members a zip may hold. A zipped Shapefile has 3-8; a folder of a few hundred
#: layers is the most any office sends. Thousands are a denial-of-service, not data.
MAX_MEMBERS = 1000
#: Bytes inflated per read: small enough that one read cannot overshoot the limit by much.
_CHUNK = 1 << 20
#: Info-ZIP "Unicode Path" extra field: the UTF-8 name of a member whose main name is not.
_UNICODE_PATH_FIELD = 0x7075
_UTF8_FLAG = 0x800
_ENCRYPTED_FLAG = 0x1


@dataclass(frozen=True)
class Member:
    """One file in a zip: its name as the user knows it and the entry to read it from."""

    name: str
    info: zipfile.ZipInfo


def member_name(info: zipfile.ZipInfo) -> str:
    """The real name of a zip member, not :mod:`zipfile`'s cp437 reading of its bytes.

    In order: an Info-ZIP Unicode Path extra field (7-Zip and WinRAR write one), the
    UTF-8 flag (then :mod:`zipfile` already decoded it), and otherwise the raw bytes read
    as UTF-8 (macOS and Linux zip tools write UTF-8 without the flag), GBK and GB18030
    (Chinese Windows' Explorer zips with the system code page), and only then cp437.

    >>> info = zipfile.ZipInfo("网格.shp".encode("gbk").decode("cp437"))
    >>> member_name(info)
    '网格.shp'
    """
    extra = info.extra
    while len(extra) >= 4:
        kind = int.from_bytes(extra[:2], "little")
        size = int.from_bytes(extra[2:4], "little")
        body = extra[4 : 4 + size]
        if kind == _UNICODE_PATH_FIELD and len(body) > 5 and body[0] == 1:
            try:
                return body[5:].decode("utf-8")
            except UnicodeDecodeError:
                break
        extra = extra[4 + size :]
    if info.flag_bits & _UTF8_FLAG:
        return info.filename
    try:
        raw = info.filename.encode("cp437")
    except UnicodeEncodeError:  # a name zipfile did not read as cp437 (a built ZipInfo)
        return info.filename
    for codec in ("utf-8", "gbk", "gb18030"):
        try:
            return raw.decode(codec)
        except UnicodeDecodeError:
            continue
    return info.filename


def _unsafe(name: str) -> bool:
    """Whether a member name could point outside the folder it is unpacked into."""
    if "\x00" in name:
        return True
    text = name.replace("\\", "/")
    if text.startswith("/") or (len(text) > 1 and text[1] == ":"):
        return True  # /etc/x, C:\x, C:x
    return any(part == ".." for part in PurePosixPath(text).parts)


def _is_link(info: zipfile.ZipInfo) -> bool:
    # Unix zip tools store a symbolic link as a member whose mode says "link" and whose
    # content is the target path: unpacked by a careless tool it points anywhere.
    return stat.S_ISLNK(info.external_attr >> 16)


def open_zip(path: Path, max_bytes: int) -> tuple[zipfile.ZipFile, list[Member]]:
    """Open a user's zip and list its files, refusing any a careless unzip would misuse.

    The whole archive is refused (not only the bad member) when a member name leaves the
    folder or a member is a symbolic link: neither has a place in GIS data, and either
    shows the file was made to attack whoever unpacks it. Folders, macOS resource forks
    (``__MACOSX/``, ``._x``) are left out of the list.

    Raises
    ------
    ImportFileError
        when the file is not a zip, holds more than :data:`MAX_MEMBERS` members, a member
        with an unsafe name or a link, or says it unpacks to more than `max_bytes`.
    """
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError):
        raise ImportFileError(Message("zip_invalid", name=path.name)) from None
    try:
        infos = archive.infolist()
        if len(infos) > MAX_MEMBERS:
            msg = Message("zip_too_many_members", name=path.name, n=len(infos), limit=MAX_MEMBERS)
            raise ImportFileError(msg)
        members: list[Member] = []
        for info in infos:
            name = member_name(info)
            if _unsafe(name):
                raise ImportFileError(Message("zip_unsafe_member", name=path.name, member=name))
            if _is_link(info):
                raise ImportFileError(Message("zip_link_member", name=path.name, member=name))
            base = PurePosixPath(name.replace("\\", "/")).name
            if info.is_dir() or name.startswith("__MACOSX/") or base.startswith("._"):
                continue
            members.append(Member(name.replace("\\", "/"), info))
        if sum(m.info.file_size for m in members) > max_bytes:
            raise ImportFileError(Message("zip_too_large", name=path.name, limit=max_bytes / 2**20))
    except BaseException:
        archive.close()
        raise
    return archive, members


def extract(
    archive: zipfile.ZipFile,
    member: Member,
    target: Path,
    *,
    budget: int,
    limit: int,
    zip_name: str,
) -> int:
    """Inflate `member` into the file `target`, at most `budget` bytes; the bytes written.

    The member's declared size is not trusted: bytes are counted as they are inflated, and
    the archive is refused as soon as they pass `budget` (what is left of the upload limit
    `limit` after the members unpacked before), whatever the header claimed. A member
    whose data does not match its checksum, is encrypted or uses a compression Python
    cannot read is refused too.
    """
    if member.info.flag_bits & _ENCRYPTED_FLAG:
        raise ImportFileError(Message("zip_encrypted", name=zip_name, member=member.name))
    written = 0
    try:
        with archive.open(member.info) as source, target.open("wb") as out:
            while chunk := source.read(_CHUNK):
                written += len(chunk)
                if written > budget:
                    raise ImportFileError(
                        Message("zip_too_large", name=zip_name, limit=limit / 2**20)
                    )
                out.write(chunk)
    except ImportFileError:
        raise
    except (
        zipfile.BadZipFile,
        zlib.error,
        EOFError,
        OSError,
        ValueError,
        NotImplementedError,  # a compression method Python does not know
        RuntimeError,  # a password is needed
    ) as exc:
        msg = Message("zip_member_unreadable", name=zip_name, member=member.name, detail=str(exc))
        raise ImportFileError(msg) from None
    return written
