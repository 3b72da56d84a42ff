"""Record ids: unique, time-ordered, and never repeated by a forked process."""
import os

from storage.models.base import new_id


def test_ids_are_unique_fixed_width_and_time_ordered():
    ids = [new_id() for _ in range(50_000)]
    assert len(set(ids)) == len(ids)
    assert all(len(i) == 32 and int(i, 16) >= 0 for i in ids)
    assert [i[:12] for i in ids] == sorted(i[:12] for i in ids)


def test_a_forked_child_does_not_reuse_its_parents_random_bytes():
    new_id()  # the parent has unread random bytes buffered
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        os.write(write, "".join(new_id()[12:] for _ in range(10)).encode())
        os._exit(0)
    os.waitpid(pid, 0)
    child = os.read(read, 4096).decode()
    parent = "".join(new_id()[12:] for _ in range(10))
    assert len(child) == len(parent) == 200
    assert {child[i:i + 20] for i in range(0, 200, 20)}.isdisjoint(parent[i:i + 20] for i in range(0, 200, 20))
