"""Publish settings: flags > environment > file > build server > default, file validation, and the
per-package rules of monorepo configurations."""

from __future__ import annotations

from pathlib import Path

import pytest

from octoci.config import SETTINGS, resolve_config
from octoci.errors import InputError


def _write(folder: Path, text: str, name: str = "octoci.toml") -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def test_each_source_wins_over_the_next(tmp_path: Path) -> None:
    _write(tmp_path, 'project = "FromFile"\nchannel = "FromFile"\nspace = "FromFile"\n'
                     'timeout = 30\n')  # fmt: skip
    config = resolve_config(
        flags={"project": "FromFlag"},
        env={"OCTOCI_PROJECT": "FromEnv", "OCTOCI_CHANNEL": "FromEnv"},
        cwd=tmp_path,
        server_defaults={"space": "FromServer", "poll_interval": 0.25, "release_version": "9.9"},
    )
    assert (config.settings.project, config.sources["project"]) == ("FromFlag", "flag")
    assert (config.settings.channel, config.sources["channel"]) == ("FromEnv", "env OCTOCI_CHANNEL")
    assert config.settings.space == "FromFile"
    assert config.sources["space"] == f"file {tmp_path / 'octoci.toml'}"
    assert config.settings.timeout == 30.0
    assert (config.settings.poll_interval, config.sources["poll_interval"]) == (0.25, "server")
    assert config.sources["wait"] == "default"
    assert config.settings.wait is False


def test_environment_values_are_parsed_by_kind(tmp_path: Path) -> None:
    env = {
        "OCTOCI_DEPLOY_TO": " Dev , Test,,",
        "OCTOCI_WAIT": "yes",
        "OCTOCI_BUILD_INFORMATION": "0",
        "OCTOCI_TIMEOUT": "90.5",
        "OCTOCI_VERSION_FROM": "Build-Number",
    }
    config = resolve_config(flags={}, env=env, cwd=tmp_path)
    assert config.settings.deploy_to == ("Dev", "Test")
    assert config.settings.wait is True
    assert config.settings.build_information is False
    assert config.settings.timeout == 90.5
    assert config.settings.version_from == "build-number"


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"OCTOCI_WAIT": "maybe"}, "OCTOCI_WAIT='maybe' is not a boolean"),
        ({"OCTOCI_TIMEOUT": "soon"}, "OCTOCI_TIMEOUT='soon' is not a number"),
        ({"OCTOCI_TIMEOUT": "-1"}, "must be greater than 0"),
        ({"OCTOCI_VERSION_FROM": "svn"}, "must be one of git, build-number"),
        ({"OCTOCI_CONCURRENCY": "40"}, "between 1 and 16"),
        ({"OCTOCI_CONFIG": "missing.toml"}, "does not exist"),
    ],
)
def test_bad_environment_values_are_one_line_errors(
    tmp_path: Path, env: dict[str, str], message: str
) -> None:
    with pytest.raises(InputError, match=message):
        resolve_config(flags={}, env=env, cwd=tmp_path)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('deploy_too = ["Dev"]', "unknown setting 'deploy_too' \\(did you mean 'deploy_to'\\?\\)"),
        ("wait = 1", "wait must be true or false"),
        ("deploy_to = [1]", "deploy_to must be a list of strings"),
        ("timeout = true", "timeout must be a number"),
        ("packages = 3", "must be an array of tables"),
        ("[[packages]]\nbase_path = 'x'", r"packages\[0\]: id is required"),
        ("[[packages]]\nid = 'A'\nincldue = ['x']", "unknown key 'incldue'"),
        ("[[packages]]\nid = 'A'\nformat = 3", "format must be a string"),
        ("project = ", "not valid TOML"),
    ],
)
def test_file_problems_name_the_file_and_the_key(tmp_path: Path, text: str, message: str) -> None:
    _write(tmp_path, text)
    with pytest.raises(InputError, match=message) as caught:
        resolve_config(flags={}, env={}, cwd=tmp_path)
    assert str(tmp_path / "octoci.toml") in str(caught.value)
    assert "\n" not in str(caught.value).strip()


def test_pyproject_tool_octoci_is_read_and_octoci_toml_wins(tmp_path: Path) -> None:
    _write(tmp_path, '[tool.octoci]\nproject = "Py"\n', "pyproject.toml")
    assert resolve_config(flags={}, env={}, cwd=tmp_path).settings.project == "Py"
    _write(tmp_path, 'project = "Toml"\n')
    assert resolve_config(flags={}, env={}, cwd=tmp_path).settings.project == "Toml"
    # A pyproject.toml without the table is not a configuration file.
    (tmp_path / "octoci.toml").unlink()
    _write(tmp_path, '[project]\nname = "x"\n', "pyproject.toml")
    assert resolve_config(flags={}, env={}, cwd=tmp_path).config_file is None


def test_paths_in_the_file_are_relative_to_the_file(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    (repo / "ci").mkdir(parents=True)
    _write(repo / "ci", 'out_folder = "../out"\n[[packages]]\nid = "A"\nbase_path = "../web"\n')
    config = resolve_config(flags={}, env={"OCTOCI_CONFIG": "ci/octoci.toml"}, cwd=repo)
    (package,) = config.package_configs()
    assert package.base_path.resolve() == (repo / "web").resolve()
    assert config.settings.out_folder.resolve() == (repo / "out").resolve()
    # From a flag, relative to the working folder.
    config = resolve_config(flags={"out_folder": "dist"}, env={}, cwd=repo)
    assert config.settings.out_folder == repo / "dist"


def test_package_values_own_then_top_level_but_flags_beat_both(tmp_path: Path) -> None:
    _write(
        tmp_path,
        'format = "tar.gz"\nexclude = ["**/*.map"]\n'
        '[[packages]]\nid = "Web"\nformat = "zip"\n'
        '[[packages]]\nid = "Api"\nexclude = ["**/*.pdb"]\n',
    )
    web, api = resolve_config(flags={}, env={}, cwd=tmp_path).package_configs()
    assert (web.format, web.exclude) == ("zip", ("**/*.map",))
    assert (api.format, api.exclude) == ("tar.gz", ("**/*.pdb",))
    web, api = resolve_config(flags={"format": "tar"}, env={}, cwd=tmp_path).package_configs()
    assert web.format == api.format == "tar"
    (only,) = resolve_config(flags={"only": ("api",)}, env={}, cwd=tmp_path).package_configs()
    assert only.id == "Api"
    (single,) = resolve_config(
        flags={"package_id": "One", "base_path": "x"}, env={}, cwd=tmp_path
    ).package_configs()
    assert (single.id, single.base_path, single.format) == ("One", tmp_path / "x", "tar.gz")


def test_every_setting_has_help_an_env_variable_and_a_unique_flag() -> None:
    flags = [s.flag.split("/")[0] for s in SETTINGS]
    assert len(set(flags)) == len(flags)
    for setting in SETTINGS:
        assert setting.help.endswith("."), setting.name
        assert setting.env.startswith(("OCTOCI_", "OCTOPUS_")), setting.name


def test_delta_uploads_are_on_unless_switched_off(tmp_path: Path) -> None:
    assert resolve_config(flags={}, env={}, cwd=tmp_path).settings.delta is True
    assert (
        resolve_config(flags={}, env={"OCTOCI_DELTA": "false"}, cwd=tmp_path).settings.delta
        is False
    )
    _write(tmp_path, "delta = false\n")
    from_file = resolve_config(flags={}, env={}, cwd=tmp_path)
    assert from_file.settings.delta is False
    assert resolve_config(flags={"delta": True}, env={}, cwd=tmp_path).settings.delta is True
