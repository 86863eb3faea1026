"""The tasks the engine can run, by name: each is one module behind `engine.tasks.base.Task`."""

from __future__ import annotations

from engine.errors import InputError
from engine.request import Request
from engine.tasks.analogy import Analogy
from engine.tasks.base import LevelSetup, Task, TaskContext
from engine.tasks.generate import Generate
from engine.tasks.inpaint import Inpaint
from engine.tasks.retarget import Retarget
from engine.tasks.sketch import Sketch

REGISTRY: dict[str, type[Task]] = {t.name: t for t in (Generate, Retarget, Inpaint, Analogy, Sketch)}


def register(task: type[Task]) -> type[Task]:
    """Add a task (usable as a class decorator)."""
    REGISTRY[task.name] = task
    return task


def names() -> tuple[str, ...]:
    return tuple(REGISTRY)


def task_for(request: Request) -> Task:
    try:
        cls = REGISTRY[request.task]
    except KeyError:
        raise InputError(f"unknown task {request.task!r}: choose from {', '.join(REGISTRY)}") from None
    return cls(request)


def default_noise(name: str) -> float:
    return REGISTRY[name].default_noise


__all__ = ["LevelSetup", "REGISTRY", "Task", "TaskContext", "default_noise", "names", "register", "task_for"]
