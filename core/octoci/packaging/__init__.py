"""Packaging: deterministic, streamed, parallel zip, nupkg, tar, tar.gz and tar.bz2 packages.

Entry points: :func:`octoci.packaging.build.build_package` (validate, select, write atomically,
hash) and the formats of :mod:`octoci.packaging.plugin`. This package's ``__init__`` imports
nothing, so registering the plugin costs ``octoci --help`` no time. Design: ``docs/packaging.md``.
"""
