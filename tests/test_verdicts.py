"""The grader's verdicts over the catalogue (tests/catalogue/): correct entries accepted, mistakes caught and named,
attacks defeated, no grader failure, a correct entry still full after the attacks, and repeated gradings identical.

Every entry goes through the real grader (autograder.verdicts.judge -> grade_submission, sandboxed worker); see
autograder/verdicts.py for the verdict.json format."""
import json

import pytest

from autograder import verdicts
from autograder.sandbox import isolation
from autograder.mistakes import DIAGNOSIS_NAMES

ENTRIES = verdicts.load_catalogue()


def test_catalogue_is_complete_and_well_formed():
    kinds = [entry.kind for entry in ENTRIES]
    assert kinds.count("correct") >= 6 and kinds.count("mistake") >= 15 and kinds.count("attack") >= 20
    assert kinds.count("style") >= 15       # issue 11: the ways real students write conv2d
    allowed = {"kind", "about", "full", "lose", "zero", "diagnosis", "flags", "max_score", "probes", "alone",
               "heartbeat", "port"}
    for entry in ENTRIES:
        assert set(entry.verdict) <= allowed, entry.name
        assert (entry.path / "convolution.py").is_file(), entry.name
        assert entry.verdict.get("about"), entry.name
        assert entry.verdict.get("full") or entry.verdict.get("lose") or entry.verdict.get("zero"), entry.name
        if entry.verdict.get("diagnosis"):
            assert entry.verdict["diagnosis"] in DIAGNOSIS_NAMES, entry.name
    named = [entry for entry in ENTRIES if entry.kind == "mistake" and entry.verdict.get("diagnosis")]
    assert len(named) >= 12


@pytest.fixture(scope="module")
def judgements():
    return verdicts.judge_all(ENTRIES, jobs=2)


def failures(judgements, kind):
    return {j.entry.name: j.grader_failure or j.problems for j in judgements
            if j.entry.kind == kind and not j.as_expected}


@pytest.mark.slow
def test_every_correct_implementation_gets_full_marks(judgements):
    assert not failures(judgements, "correct")


@pytest.mark.slow
def test_every_mistake_is_caught_and_the_known_ones_named(judgements):
    assert not failures(judgements, "mistake")
    measured = verdicts.rates(judgements)
    caught, total = measured["mistakes caught"]
    named, known = measured["mistakes correctly named"]
    assert caught == total and named / known >= verdicts.GOALS["mistakes correctly named"]


@pytest.mark.slow
def test_every_attack_gains_nothing_and_the_grader_survives(judgements):
    assert not failures(judgements, "attack")
    assert verdicts.rates(judgements)["grader failures"][0] == 0
    assert verdicts.goals_met(verdicts.rates(judgements))


@pytest.mark.slow
def test_every_real_world_style_is_judged_as_its_verdict_says(judgements):
    assert not failures(judgements, "style")


@pytest.mark.slow
def test_nothing_of_any_sandbox_identity_remains_after_the_whole_catalogue(judgements):
    """Processes, files in /tmp, /var/tmp, /dev/shm, /run/lock, SysV IPC: after every attack, two at a time."""
    assert isolation.leftovers() == []


@pytest.mark.slow
def test_batch_is_intact_after_the_attacks(judgements):
    canary = next(entry for entry in ENTRIES if entry.name == verdicts.CANARY)
    assert verdicts.judge(canary).as_expected


def test_a_wrong_expectation_is_reported(tmp_path):
    """The comparison can fail: a correct entry whose verdict demands a diagnosis and a flag is not as expected."""
    source = next(entry for entry in ENTRIES if entry.name == verdicts.CANARY)
    (tmp_path / "convolution.py").write_text((source.path / "convolution.py").read_text())
    verdict = dict(source.verdict, kind="mistake", diagnosis="flipped_kernel", flags=["timeout"], lose=["2.3"])
    (tmp_path / "verdict.json").write_text(json.dumps(verdict))
    judgement = verdicts.judge(verdicts.Entry("mistakes/pretend", "mistake", tmp_path, verdict))
    assert not judgement.as_expected and judgement.named is False
    assert any("2.3 should lose" in problem for problem in judgement.problems)
    assert any("flags" in problem for problem in judgement.problems)


@pytest.mark.slow
def test_the_solution_and_three_entries_grade_identically_five_times():
    paths = [verdicts.SOLUTION] + [verdicts.CATALOGUE / name for name in verdicts.DETERMINISM_ENTRIES]
    distinct = verdicts.determinism(paths, verdicts.REPEATS, jobs=2)
    assert set(distinct.values()) == {1}, distinct
