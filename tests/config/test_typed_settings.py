"""The resolved settings are typed attributes; the old by-name readers still work, checked."""

from __future__ import annotations

from pathlib import Path

from octoci.config import resolve_config
from octoci.settings import SETTINGS, Settings


def test_settings_are_typed_attributes_with_absolute_paths(tmp_path: Path) -> None:
    config = resolve_config(
        flags={"deploy_to": ("Dev",), "out_folder": "dist"},
        env={"OCTOCI_TIMEOUT": "30", "OCTOCI_CONCURRENCY": "4"},
        cwd=tmp_path,
    )
    settings = config.settings
    assert isinstance(settings, Settings)
    assert settings.deploy_to == ("Dev",)
    assert settings.timeout == 30.0
    assert settings.concurrency == 4
    assert settings.out_folder == tmp_path / "dist"
    assert [s.name for s in SETTINGS] == list(Settings.__dataclass_fields__)
