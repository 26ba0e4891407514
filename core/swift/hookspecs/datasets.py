"""Hook specification of the ``datasets`` family: datasets and dataset file formats."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from swift.kernel.markers import hookspec

if TYPE_CHECKING:
    from swift.kernel.records import DatasetRecord


@hookspec
def swift_register_datasets() -> Iterable[DatasetRecord]:
    """Register datasets and dataset file formats.

    Called the first time a command needs the ``datasets`` family.

    Yield :class:`~swift.kernel.records.DatasetRecord` objects: named datasets
    (``kind="dataset"``; used as ``--dataset NAME[:subset][#n]``) whose ``load`` is
    ``fn(spec, args) -> rows``, and file formats (``kind="format"``, with
    ``suffixes``) whose ``load`` is ``fn(path, args) -> rows`` — both
    :class:`swift.contracts.DatasetReader`. Reading all of ``--dataset`` is the
    ``swift_load_datasets`` seam (:mod:`swift.hookspecs.services`).

    Example::

        @hookimpl
        def swift_register_datasets():
            yield DatasetRecord(name="acme/support-chats", load="swift_acme.data:load_support",
                                subsets=("default",))
    """
