"""The Dockerfile's web UI stage, run without a Docker engine: its WORKDIR, COPY and RUN instructions are
carried out in a scratch directory standing for the image's root, from the build context as .dockerignore
leaves it (docker's own matcher). What the final image serves must come out of it."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import pytest
from docker.utils.build import exclude_paths
from dockerfile_parse import DockerfileParser

REPO = Path(__file__).resolve().parents[2]
UI_STAGE = "ui"
BUILD_STAGE = "build"


@dataclass
class Stage:
    name: str
    base: str
    instructions: list[tuple[str, str]] = field(default_factory=list)


def stages() -> dict[str, Stage]:
    parser = DockerfileParser(path=str(REPO / "Dockerfile"))
    found: dict[str, Stage] = {}
    current: Stage | None = None
    for item in parser.structure:
        instruction, value = item["instruction"], item["value"]
        if instruction == "FROM":
            base, _, name = value.partition(" AS ")
            current = Stage(name=name.strip() or f"stage{len(found)}", base=base.strip())
            found[current.name] = current
        elif current is not None:
            current.instructions.append((instruction, value))
    return found


def context_files() -> set[str]:
    patterns = [
        line.strip()
        for line in (REPO / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    return set(exclude_paths(str(REPO), patterns))


def test_the_build_context_leaves_out_what_the_ui_stage_makes_for_itself() -> None:
    """`COPY ui ./` comes after `npm ci`: a host's node_modules (another platform's native binaries) or an
    old dist in the context would overwrite what the image just installed or is about to build."""
    files = context_files()
    assert "ui/package-lock.json" in files and "ui/src/main.tsx" in files
    leaked = sorted(f for f in files if f.startswith(("ui/node_modules/", "ui/dist/")))
    assert leaked == [], f"{len(leaked)} files of ui/node_modules or ui/dist in the context: {leaked[:3]}"
    assert not any(f.startswith(("tests/", ".git/", "data/")) or f == ".env" for f in files)


class Image:
    """A scratch directory standing for the image's root, and a COPY/WORKDIR/RUN interpreter over it."""

    def __init__(self, root: Path, context: set[str], stage_outputs: dict[str, Path]) -> None:
        self.root, self.context, self.stage_outputs = root, context, stage_outputs
        self.workdir = PurePosixPath("/")

    def path(self, image_path: str) -> Path:
        absolute = self.workdir / image_path
        return self.root / str(absolute).lstrip("/")

    def run(self, instruction: str, value: str) -> None:
        if instruction == "WORKDIR":
            self.workdir = self.workdir / value
            self.path(".").mkdir(parents=True, exist_ok=True)
        elif instruction == "COPY":
            self.copy(shlex.split(value))
        elif instruction == "RUN":
            cwd = self.path(".")
            done = subprocess.run(value, shell=True, cwd=cwd, capture_output=True, text=True, timeout=900)
            assert done.returncode == 0, f"RUN {value} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
        else:
            pytest.fail(f"the UI stage gained a {instruction} instruction this test does not carry out")

    def copy(self, words: list[str]) -> None:
        options = [w for w in words if w.startswith("--")]
        *sources, destination = [w for w in words if not w.startswith("--")]
        target = self.path(destination)
        from_stage = next((o.split("=", 1)[1] for o in options if o.startswith("--from=")), None)
        if from_stage is not None:
            (source,) = sources
            made = self.stage_outputs.get(source)
            assert made is not None, f"COPY --from={from_stage} {source}: this test does not make it"
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(made, target)
            return
        for source in sources:
            under = (f for f in self.context if f == source or f.startswith(f"{source}/"))
            inside = sorted(f for f in under if (REPO / f).is_file())
            assert inside, f"COPY {source}: nothing of it is in the build context"
            for name in inside:
                # Docker copies a directory's contents, a file onto a destination ending in "/" by its name.
                relative = Path(name).relative_to(source) if name != source else Path(Path(name).name)
                placed = target / relative
                placed.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy(REPO / name, placed)


@pytest.mark.skipif(shutil.which("npm") is None, reason="npm is not installed (Node.js 20 builds the UI)")
def test_the_ui_stage_builds_the_files_the_final_image_serves(tmp_path: Path) -> None:
    found = stages()
    ui, build = found[UI_STAGE], found[BUILD_STAGE]
    assert ui.base.startswith("node:20"), "the UI is built and tested with Node.js 20"

    # The schema the UI's types come from, made as the build stage makes it.
    schema_runs = [v for i, v in build.instructions if i == "RUN" and "alert-whisperer openapi" in v]
    assert len(schema_runs) == 1
    schema_path = shlex.split(schema_runs[0].split("alert-whisperer openapi", 1)[1])[1]
    schema = tmp_path / "openapi.json"
    cli = Path(sys.executable).parent / "alert-whisperer"
    subprocess.run([cli, "openapi", "--output", schema], check=True, capture_output=True, timeout=120)

    image = Image(tmp_path / "image", context_files(), {schema_path: schema})
    env_path = os.environ.get("PATH", "")
    for instruction, value in ui.instructions:
        image.run(instruction, value.replace("$PATH", env_path))

    final = list(found.values())[-1]
    copies = [shlex.split(v) for i, v in final.instructions if i == "COPY" and f"--from={UI_STAGE}" in v]
    assert len(copies) == 1
    _, built, served = copies[0]
    index = tmp_path / "image" / built.lstrip("/") / "index.html"
    assert index.is_file(), f"{built}/index.html was not built"
    assert (tmp_path / "image" / built.lstrip("/") / "assets").is_dir()
    # The API serves the UI from where the final stage put it.
    assert any(f"AW_UI_DIR={served}" in v.split() for i, v in final.instructions if i == "ENV")
