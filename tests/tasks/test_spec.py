"""task.yaml parsing: a valid spec loads; every kind of malformed config gives a one-line error naming file and field."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest

from medalist.errors import ConfigError
from medalist.tasks import TaskSpec, load_task_spec

VALID = """\
id: tiny-task
name: Tiny task
task_type: binary-classification
metric: roc_auc
target_columns: [target]
"""


def write(folder: Path, yaml_text: str, *, description: bool = True, prepare: bool = True) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "task.yaml").write_text(yaml_text)
    if description:
        (folder / "description.md").write_text("# Tiny\n")
    if prepare:
        (folder / "prepare.py").write_text("def prepare(raw, public, private):\n    pass\n")
    return folder / "task.yaml"


def error_of(path: Path) -> str:
    with pytest.raises(ConfigError) as info:
        load_task_spec(path)
    msg = str(info.value)
    assert "\n" not in msg, "errors are one line"
    assert msg.startswith(f"{path}: "), "errors start with the file"
    return msg


def test_valid_spec_and_defaults(tmp_path):
    path = write(tmp_path / "tiny", VALID)
    spec = load_task_spec(path)
    assert spec.id == "tiny-task" and spec.metric == "roc_auc"
    assert spec.id_column == "id" and spec.target_columns == ["target"]
    assert spec.prepare == "prepare.py:prepare"
    assert spec.answers == "answers.csv" and spec.sample_submission == "sample_submission.csv"
    assert spec.limits.time_limit_secs == 3600 and spec.limits.cpus == 2.0
    assert spec.directory == (tmp_path / "tiny").resolve()
    assert spec.description_path == spec.directory / "description.md"
    assert spec.leaderboard_path == spec.directory / "leaderboard.csv"
    assert spec.kind == "binary-classification"


def test_folder_path_loads_its_task_yaml(tmp_path):
    write(tmp_path / "tiny", VALID)
    assert load_task_spec(tmp_path / "tiny").id == "tiny-task"


def test_kind_prefers_text_and_image_tags(tmp_path):
    spec = load_task_spec(write(tmp_path / "t", VALID + "tags: [text, nlp]\n"))
    assert spec.kind == "text-binary"


def test_full_spec_fields(tmp_path):
    text = VALID + textwrap.dedent(
        """\
        metric_args: {k: 3}
        id_column: row_id
        leaderboard: null
        limits: {time_limit_secs: 60, memory_gb: 1.5, cpus: 1, step_limit: 5}
        rows: 1000
        source: "made up"
        data_version: "2"
        """
    )
    spec = load_task_spec(write(tmp_path / "t", text))
    assert spec.metric_args == {"k": 3} and spec.id_column == "row_id" and spec.leaderboard_path is None
    assert spec.limits.memory_gb == 1.5 and spec.rows == 1000 and spec.data_version == "2"


def test_spec_without_directory_says_so():
    spec = TaskSpec(id="x", name="x", task_type="regression", metric="rmse", target_columns=["y"])
    with pytest.raises(ConfigError, match="has no directory"):
        spec.directory


def test_missing_file(tmp_path):
    with pytest.raises(ConfigError, match=r"task\.yaml: task config not found"):
        load_task_spec(tmp_path / "nowhere" / "task.yaml")


def test_bad_yaml_names_the_line(tmp_path):
    path = write(tmp_path / "t", VALID + "tags: [unclosed\n")
    assert re.search(r": not valid YAML \(line \d+\): ", error_of(path))


def test_tab_indentation_is_bad_yaml(tmp_path):
    path = write(tmp_path / "t", VALID + "limits:\n\tcpus: 1\n")
    assert "not valid YAML" in error_of(path)


@pytest.mark.parametrize(("text", "got"), [("- a\n- b\n", "list"), ("just a string\n", "str"), ("42\n", "int")])
def test_not_a_mapping(tmp_path, text, got):
    assert error_of(write(tmp_path / "t", text)).endswith(f"expected a mapping of fields, got {got}")


def test_empty_file(tmp_path):
    assert "file is empty" in error_of(write(tmp_path / "t", ""))


@pytest.mark.parametrize(
    ("extra", "field", "fragment"),
    [
        ("colour: blue\n", "colour", "unknown field"),
        ("rows: many\n", "rows", "valid integer"),
        ("rows: -5\n", "rows", "greater than or equal to 0"),
        ("tags: text\n", "tags", "valid list"),
        ("limits: {time_limit_secs: 0}\n", "limits.time_limit_secs", "greater than 0"),
        ("limits: {cpu: 2}\n", "limits.cpu", "unknown field"),
        ("metric_args: [1, 2]\n", "metric_args", "valid dictionary"),
    ],
)
def test_field_errors_name_the_field(tmp_path, extra, field, fragment):
    msg = error_of(write(tmp_path / "t", VALID + extra))
    assert f"field '{field}': " in msg and fragment in msg, msg


def test_missing_required_field(tmp_path):
    msg = error_of(write(tmp_path / "t", VALID.replace("name: Tiny task\n", "")))
    assert "field 'name': Field required" in msg


def test_several_errors_on_one_line(tmp_path):
    msg = error_of(write(tmp_path / "t", VALID.replace("name: Tiny task\n", "") + "rows: many\n"))
    assert "field 'name'" in msg and "field 'rows'" in msg and "; " in msg


def test_wrong_task_type(tmp_path):
    msg = error_of(write(tmp_path / "t", VALID.replace("binary-classification", "binary")))
    assert "field 'task_type': Input should be 'binary-classification'" in msg


def test_unknown_metric(tmp_path):
    msg = error_of(write(tmp_path / "t", VALID.replace("roc_auc", "roc-auc")))
    assert "field 'metric': unknown metric 'roc-auc' (known: " in msg and "roc_auc" in msg


def test_missing_description_file(tmp_path):
    msg = error_of(write(tmp_path / "t", VALID, description=False))
    assert "field 'description': file " in msg and msg.endswith("description.md does not exist")


def test_description_elsewhere(tmp_path):
    path = write(tmp_path / "t", VALID + "description: docs/about.md\n", description=False)
    assert "docs/about.md does not exist" in error_of(path)
    (tmp_path / "t" / "docs").mkdir()
    (tmp_path / "t" / "docs" / "about.md").write_text("hi")
    assert load_task_spec(path).description_path.name == "about.md"


@pytest.mark.parametrize("bad_id", ["-tiny", "tiny task", "tiny/task", "", "ünï"])
def test_bad_id_pattern(tmp_path, bad_id):
    msg = error_of(write(tmp_path / "t", VALID.replace("id: tiny-task", f"id: '{bad_id}'")))
    assert "field 'id': String should match pattern" in msg


@pytest.mark.parametrize("good_id", ["a", "tiny.v2", "0-start", "x_y"])
def test_good_ids(tmp_path, good_id):
    assert load_task_spec(write(tmp_path / "t", VALID.replace("tiny-task", good_id))).id == good_id


def test_duplicate_target_columns(tmp_path):
    msg = error_of(write(tmp_path / "t", VALID.replace("[target]", "[a, b, a]")))
    assert "field 'target_columns': target columns must be unique (repeated: a)" in msg


def test_empty_target_columns(tmp_path):
    assert "field 'target_columns'" in error_of(write(tmp_path / "t", VALID.replace("[target]", "[]")))


def test_id_column_cannot_be_a_target(tmp_path):
    msg = error_of(write(tmp_path / "t", VALID.replace("[target]", "[id, target]")))
    assert "field 'target_columns': the id column 'id' cannot also be a target column" in msg


@pytest.mark.parametrize("entry", ["prepare.py", "prepare.py:", ":prepare", "prepare.py:not-a-name"])
def test_malformed_prepare_entry_point(tmp_path, entry):
    msg = error_of(write(tmp_path / "t", VALID + f"prepare: '{entry}'\n"))
    assert "field 'prepare': expected 'file.py:function'" in msg


def test_prepare_script_must_exist(tmp_path):
    msg = error_of(write(tmp_path / "t", VALID + "prepare: build.py:prepare\n"))
    assert "field 'prepare': file " in msg and msg.endswith("build.py does not exist")


def test_module_entry_point_is_accepted(tmp_path):
    spec = load_task_spec(write(tmp_path / "t", VALID + "prepare: medalist.tasks.splitting:write_csv\n", prepare=False))
    assert spec.prepare == "medalist.tasks.splitting:write_csv"


def test_root_field_in_yaml_cannot_redirect_the_task(tmp_path):
    spec = load_task_spec(write(tmp_path / "t", VALID + "root: /etc\n"))
    assert spec.directory == (tmp_path / "t").resolve()


LFS_POINTER = "version https://git-lfs.github.com/spec/v1\noid sha256:e071aca01cb968fa45344d94a60553e97d1429d3b0de05910e72012248168619\nsize 125841\n"


def test_git_lfs_pointers_are_named_with_the_fix(tmp_path):
    folder = write(tmp_path / "t", VALID).parent
    (folder / "leaderboard.csv").write_text(LFS_POINTER)
    msg = error_of(folder / "task.yaml")
    assert "field 'leaderboard'" in msg and "leaderboard.csv: a Git LFS pointer" in msg and "git lfs pull" in msg
    (folder / "task.yaml").write_text(LFS_POINTER)
    assert "task.yaml: a Git LFS pointer, not the file itself" in error_of(folder / "task.yaml")


def test_score_direction_comes_from_the_metric_unless_given(tmp_path):
    assert load_task_spec(write(tmp_path / "auc", VALID)).is_lower_better is False
    rmse = load_task_spec(write(tmp_path / "rmse", VALID.replace("roc_auc", "rmse")))
    assert rmse.is_lower_better is True
    given = load_task_spec(write(tmp_path / "given", VALID + "is_lower_better: true\n"))
    assert given.is_lower_better is True and given.model_dump()["is_lower_better"] is True


def test_a_custom_grader_needs_a_score_direction(tmp_path):
    msg = error_of(write(tmp_path / "g", VALID + "grader: grader.py:grade\n"))
    assert "field 'is_lower_better': required when a custom 'grader' is set" in msg


def test_old_spelling_lower_is_better_still_reads_with_a_warning(tmp_path):
    path = write(tmp_path / "old", VALID + "lower_is_better: true\n")
    with pytest.warns(FutureWarning, match="'lower_is_better' is now 'is_lower_better'"):
        spec = load_task_spec(path)
    assert spec.is_lower_better is True


def test_old_spelling_of_the_grading_time_limit_still_reads_with_a_warning(tmp_path):
    path = write(tmp_path / "old", VALID + "grading_limits: {timeout_secs: 7}\n")
    with pytest.warns(FutureWarning, match="'timeout_secs' is now 'time_limit_secs'"):
        spec = load_task_spec(path)
    assert spec.grading_limits.time_limit_secs == 7
    assert "timeout_secs" not in spec.grading_limits.model_dump()
