"""A memory and process budget per kernel: a Linux control group (v1 or v2), where the grader may make one.

The per-process limits `boot.py` sets (address space, processes of the uid) bound each process; a control group
bounds the kernel and everything it starts together: its memory (resident pages, tmpfs included; past it the
kernel's own OOM killer stops a process of this group, not another student's), its number of tasks, and, where
the cpu controller is there, its CPU time to one CPU's worth (the kernel computes in one thread). The
kernel enters the group before bubblewrap starts (`Budget.enter` prefixes its command with a two-line shell),
so every process it ever starts is counted.
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

ROOT = Path("/sys/fs/cgroup")
PARENT = "diffcourse"  # every budget lives under <hierarchy>/diffcourse/


class BudgetUnavailable(OSError):
    """No control group can be made here; the message says why."""


def _hierarchies() -> dict:
    """Where budgets are made: ``{"memory": folder, "pids": folder}``, for cgroup v2 the same folder."""
    if (ROOT / "cgroup.controllers").exists():  # v2: one hierarchy
        controllers = (ROOT / "cgroup.controllers").read_text().split()
        if not {"memory", "pids"} <= set(controllers):
            raise BudgetUnavailable(f"cgroup v2 without the memory and pids controllers ({' '.join(controllers)})")
        parent = ROOT / PARENT
        parent.mkdir(exist_ok=True)
        wanted = [c for c in ("memory", "pids", "cpu") if c in controllers]
        (parent / "cgroup.subtree_control").write_text(" ".join(f"+{c}" for c in wanted))
        return {c: parent for c in wanted}
    found = {}
    for controller in ("memory", "pids"):
        if not (ROOT / controller / "cgroup.procs").exists():
            raise BudgetUnavailable(f"no cgroup {controller} controller mounted at {ROOT / controller}")
        found[controller] = ROOT / controller / PARENT
        found[controller].mkdir(exist_ok=True)
    if (ROOT / "cpu" / "cgroup.procs").exists():  # optional: one CPU's worth per kernel
        found["cpu"] = ROOT / "cpu" / PARENT
        found["cpu"].mkdir(exist_ok=True)
    return found


class Budget:
    """One kernel's control group(s), made with its limits; `remove` kills what is left in it and deletes it."""

    def __init__(self, name: str, *, memory_bytes: int, processes: int):
        try:
            places = _hierarchies()
            self.folders = sorted({folder / name for folder in places.values()})
            for folder in self.folders:
                folder.mkdir()
            v2 = (ROOT / "cgroup.controllers").exists()
            memory, pids = places["memory"] / name, places["pids"] / name
            (memory / ("memory.max" if v2 else "memory.limit_in_bytes")).write_text(str(int(memory_bytes)))
            swap = memory / ("memory.swap.max" if v2 else "memory.memsw.limit_in_bytes")
            if swap.exists():  # no swapping past the budget either (v1: memory + swap)
                swap.write_text("0" if v2 else str(int(memory_bytes)))
            (pids / "pids.max").write_text(str(int(processes)))
            if "cpu" in places:  # at most one CPU, however many threads it starts: the others' share stays theirs
                cpu = places["cpu"] / name
                if v2:
                    (cpu / "cpu.max").write_text("100000 100000")
                else:
                    (cpu / "cpu.cfs_period_us").write_text("100000")
                    (cpu / "cpu.cfs_quota_us").write_text("100000")
        except OSError as err:
            self.folders = getattr(self, "folders", [])
            self.remove()
            raise BudgetUnavailable(f"cannot make a control group: {err}") from None

    @classmethod
    def existing(cls, folders: list) -> "Budget":
        """The budget whose group folders already exist (to kill what is in it and delete it)."""
        budget = cls.__new__(cls)
        budget.folders = folders
        return budget

    def enter(self, argv: list) -> list:
        """`argv`, run by a shell that first moves itself into the group(s)."""
        moves = " && ".join(f"echo $$ > {folder / 'cgroup.procs'}" for folder in self.folders)
        return ["/bin/sh", "-c", f'{moves} && exec "$@"', "dc-budget", *argv]

    def pids(self) -> set:
        found = set()
        for folder in self.folders:
            try:
                found |= {int(p) for p in (folder / "cgroup.procs").read_text().split()}
            except OSError:
                pass
        return found

    def kill(self) -> None:
        """SIGKILL every process in the group, however it detached."""
        for pid in self.pids():
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass

    def remove(self) -> None:
        """Kill every process still in the group and delete it (retried briefly while the processes exit)."""
        deadline = time.monotonic() + 10
        for folder in self.folders:
            while folder.exists():
                self.kill()
                try:
                    folder.rmdir()
                except OSError:
                    if time.monotonic() > deadline:
                        break
                    time.sleep(0.05)


def remove_budget(name: str) -> None:
    """Kill what is in the budget called `name` (left by a worker that died) and delete it; nothing if none."""
    try:
        places = _hierarchies()
    except (BudgetUnavailable, OSError):
        return
    Budget.existing(sorted({folder / name for folder in places.values() if (folder / name).exists()})).remove()


def sweep_stale(age: float = 86400.0) -> int:
    """Delete kernels' budgets that are empty and older than `age` seconds (left by a batch killed outright:
    its kernels died with it, their groups stayed); returns how many. A young empty group may be one another
    batch is about to enter, so it is left alone."""
    try:
        places = _hierarchies()
    except (BudgetUnavailable, OSError):
        return 0
    removed = 0
    now = time.time()
    for parent in set(places.values()):
        for folder in parent.glob("kernel-*"):
            try:
                empty = not (folder / "cgroup.procs").read_text().split()
                if empty and now - folder.stat().st_mtime > age:
                    folder.rmdir()
                    removed += 1
            except OSError:
                continue
    return removed
