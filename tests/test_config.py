"""Configuration: the session-signing key that every worker process shares."""

import stat
import threading

from web.config import _secret_key

THREADS, ROUNDS = 8, 20


def test_workers_starting_together_agree_on_one_full_key(tmp_path, monkeypatch):
    monkeypatch.delenv("COMPTOIR_SECRET_KEY", raising=False)
    for round_ in range(ROUNDS):
        folder = tmp_path / str(round_)
        keys, start = [], threading.Barrier(THREADS)

        def read_key(folder=folder, keys=keys, start=start):
            start.wait()
            keys.append(_secret_key(folder))

        threads = [threading.Thread(target=read_key) for _ in range(THREADS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert len(set(keys)) == 1 and len(keys[0]) == 64, keys
        assert stat.S_IMODE((folder / "secret_key").stat().st_mode) == 0o600
        assert sorted(path.name for path in folder.iterdir()) == ["secret_key"]
