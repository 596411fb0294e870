"""Sharding a class over machines and merging the shards: which shard this task is (by hand, or from a Slurm job
array or a Kubernetes Indexed Job), the names in it, OUT/shard.json, and the checks and collection of `merge`."""
import hashlib
import json
import os
from pathlib import Path

from autograder.paths import write_atomically
from autograder.results import SubmissionResult, load_result

SHARDS_ENV = "AUTOGRADER_SHARDS"   # the shard count for `--shard auto` in a Kubernetes Indexed Job (its completions)
SHARD_FILE = "shard.json"           # in a shard's OUT: which shard of which class it holds, checked by merge


class ShardError(ValueError):
    """--shard (or the scheduler's variables behind --shard auto) cannot say which part of the class to grade."""


def _env_int(environ, name):
    value = environ.get(name, "").strip()
    if not value:
        return None
    try:
        return int(value)
    except ValueError:
        raise ShardError(f"{name}={environ[name]!r} is not a whole number") from None


def shard_from_environment(environ=None, shards=None):
    """(index, count, source) of this task, index 1-based, from the scheduler that started it:

    - a Slurm job array: SLURM_ARRAY_TASK_ID relative to SLURM_ARRAY_TASK_MIN (and _STEP), so --array=0-3, 1-4 and
      0-30:10 all work; the count is SLURM_ARRAY_TASK_COUNT, or (MAX - MIN) / STEP + 1. Without MIN the ID is taken
      as 0-based. An irregular array (--array=1,5,6) is refused: its IDs do not number the shards.
    - a Kubernetes Indexed Job: JOB_COMPLETION_INDEX (0-based), the count from `shards` (--shards N) or the
      AUTOGRADER_SHARDS variable (the Job's completions: Kubernetes does not tell the pod).
    `shards`, when given, must agree with what Slurm says.
    """
    environ = os.environ if environ is None else environ
    slurm_id, k8s_index = _env_int(environ, "SLURM_ARRAY_TASK_ID"), _env_int(environ, "JOB_COMPLETION_INDEX")
    if slurm_id is not None and k8s_index is not None:
        raise ShardError("both SLURM_ARRAY_TASK_ID and JOB_COMPLETION_INDEX are set; pass --shard I/N instead")
    if shards is not None and shards < 1:
        raise ShardError(f"--shards must be at least 1; got {shards}")
    if slurm_id is not None:
        first, last = _env_int(environ, "SLURM_ARRAY_TASK_MIN"), _env_int(environ, "SLURM_ARRAY_TASK_MAX")
        step = _env_int(environ, "SLURM_ARRAY_TASK_STEP") or 1
        count = _env_int(environ, "SLURM_ARRAY_TASK_COUNT")
        if step < 1:
            raise ShardError(f"SLURM_ARRAY_TASK_STEP={step} must be at least 1")
        if first is None:
            if last is not None:
                raise ShardError("SLURM_ARRAY_TASK_MAX is set without SLURM_ARRAY_TASK_MIN")
            first, step = 0, 1
        if (slurm_id - first) % step or slurm_id < first:
            raise ShardError(f"SLURM_ARRAY_TASK_ID={slurm_id} is not MIN={first} plus a multiple of STEP={step}")
        index = (slurm_id - first) // step + 1
        spanned = (last - first) // step + 1 if last is not None else None
        if spanned is not None and spanned < 1:
            raise ShardError(f"SLURM_ARRAY_TASK_MAX={last} is below SLURM_ARRAY_TASK_MIN={first}")
        if count is not None and spanned is not None and count != spanned:
            raise ShardError(f"SLURM_ARRAY_TASK_COUNT={count} but MIN={first}, MAX={last}, STEP={step} span "
                             f"{spanned} tasks: an irregular array (e.g. --array=1,5,6) cannot number the shards; "
                             f"use a range such as --array=0-{count - 1}")
        count = count if count is not None else spanned if spanned is not None else shards
        if count is None:
            raise ShardError("SLURM_ARRAY_TASK_ID is set but not SLURM_ARRAY_TASK_COUNT nor _MIN/_MAX; "
                             "pass --shards N (the array's size)")
        if shards is not None and shards != count:
            raise ShardError(f"--shards {shards} but the Slurm array has {count} tasks")
        source = "slurm"
    elif k8s_index is not None:
        from_env = _env_int(environ, SHARDS_ENV)
        if shards is not None and from_env is not None and shards != from_env:
            raise ShardError(f"--shards {shards} but {SHARDS_ENV}={from_env}")
        count = shards if shards is not None else from_env
        if count is None:
            raise ShardError(f"JOB_COMPLETION_INDEX is set but not the number of shards: pass --shards N or set "
                             f"{SHARDS_ENV} to the Job's spec.completions")
        index, source = k8s_index + 1, "kubernetes"
    else:
        raise ShardError("--shard auto needs a Slurm job array (SLURM_ARRAY_TASK_ID) or a Kubernetes Indexed Job "
                         "(JOB_COMPLETION_INDEX); neither is set. Outside a scheduler use --shard I/N")
    if not 1 <= index <= count:
        hint = " (a 1-based array without SLURM_ARRAY_TASK_MIN? set it)" if source == "slurm" else ""
        raise ShardError(f"--shard auto: task {index} of {count} from {source} is out of range (1..{count}){hint}")
    return index, count, source


def parse_shard(shard, environ=None, shards=None):
    """(index, count, source), index 1-based, of "I/N" or "auto" (see shard_from_environment)."""
    if shard == "auto":
        return shard_from_environment(environ, shards)
    if shards is not None:
        raise ShardError("--shards goes with --shard auto; with --shard I/N the count is N")
    try:
        index, count = (int(part) for part in str(shard).split("/"))
    except ValueError:
        raise ShardError(f"--shard must be I/N (e.g. 2/4) or auto; got {shard!r}") from None
    if not 1 <= index <= count:
        raise ShardError(f"--shard must be I/N with 1 <= I <= N; got {shard}")
    return index, count, "manual"


def shard_of(names, shard):
    """The names of shard "i/n" (1-based), or of an (index, count) pair: every n-th name in sorted order, starting
    at the i-th."""
    index, count = shard[:2] if isinstance(shard, tuple) else parse_shard(shard)[:2]
    return sorted(names)[index - 1::count]


def class_digest(names):
    """Identifies the class a shard was cut from: every node must see the same submission names."""
    return hashlib.sha256("\n".join(sorted(names)).encode()).hexdigest()[:16]

def write_listing(out_dir, index, count, source, everyone, names):
    """OUT/shard.json: which shard of which class OUT holds (checked by merge)."""
    write_atomically(Path(out_dir) / SHARD_FILE, json.dumps(
        {"index": index, "count": count, "source": source, "class_size": len(everyone),
         "class_digest": class_digest(everyone), "submissions": sorted(names), "class": everyone},
        indent=1) + "\n")


def collect(out_dirs):
    """Every SubmissionResult saved under the given output folders (one level down). A shard's folder (it has
    shard.json) gives only its own shard's submissions, and lists those it did not finish as "pending"."""
    results = {}
    for out_dir in map(Path, out_dirs):
        listing = _shard_listing(out_dir)
        own = set(listing["submissions"]) if listing else None
        for folder in sorted(p for p in out_dir.iterdir() if p.is_dir()):
            result = load_result(folder)
            if result and (own is None or result.name in own):
                results[result.name] = result
        for name in (listing or {}).get("submissions", []):
            if name not in results:
                results[name] = SubmissionResult(name=name, status="pending")
    return [results[name] for name in sorted(results)]


def _shard_listing(out_dir):
    try:
        return json.loads((Path(out_dir) / SHARD_FILE).read_text())
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as error:
        raise ShardError(f"{out_dir}/{SHARD_FILE} is unreadable: {error}") from None


def check_shards(out_dirs):
    """(problems, missing): why these shard folders cannot be merged, each a sentence (folders from different
    classes or shard counts, a shard given twice), and the names of the submissions in shards not given. Folders
    without shard.json (older runs, or unsharded ones) are not checked."""
    listings = {}
    for out_dir in out_dirs:
        if not Path(out_dir).is_dir():
            return [f"{out_dir} is not a folder"], []
        listing = _shard_listing(out_dir)
        if listing is not None:
            listings[str(out_dir)] = listing
    if not listings:
        return [], []
    problems = []
    kinds = {(l.get("count"), l.get("class_size"), l.get("class_digest")) for l in listings.values()}
    if len(kinds) > 1:
        problems.append("the folders come from different splits or classes (shard count, class size, names): "
                        + "; ".join(f"{d}: shard {l.get('index')}/{l.get('count')} of {l.get('class_size')} "
                                    f"submissions" for d, l in listings.items()))
        return problems, []
    count = next(iter(kinds))[0]
    seen = {}
    for out_dir, listing in listings.items():
        seen.setdefault(listing.get("index"), []).append(out_dir)
    for index, folders in sorted(seen.items()):
        if len(folders) > 1:
            problems.append(f"shard {index}/{count} is in more than one folder: {', '.join(folders)}")
    everyone = next(iter(listings.values())).get("class", [])
    missing = [i for i in range(1, count + 1) if i not in seen]
    return problems, [name for i in missing for name in shard_of(everyone, (i, count))]


def merged(out_dirs, partial=False):
    """(results, warning) of merging these output folders; ShardError when they cannot be merged (or shards are
    missing, unless `partial`: then their submissions are listed as pending and `warning` says so)."""
    try:
        problems, missing = check_shards(out_dirs)
    except ShardError as error:
        problems, missing = [str(error)], []
    if problems:
        raise ShardError("; ".join(problems))
    results = collect(out_dirs)
    if not missing:
        return results, ""
    known = {r.name for r in results}
    message = (f"{len(missing)} submission(s) are in shards not given (e.g. {missing[0]}); grade those shards "
               f"too, or pass --partial to list them as pending")
    if not partial:
        raise ShardError(message)
    return sorted(results + [SubmissionResult(name=name, status="pending") for name in missing
                             if name not in known], key=lambda r: r.name), message
