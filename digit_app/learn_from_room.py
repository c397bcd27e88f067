"""The presenter's "Learn from this room": fine-tune on the round's answers, then read everyone with it.

The fine-tune is scripts/finetune.py in a process of its own, niced, started in a new session: never
in a Streamlit script thread, it outlives the presenter's tab (and the server); with --background it
takes one core at the lowest priority (its session's autogroup too), so the drawers' strokes keep theirs. It records its progress in the answers database, where every
session and replica reads it; the database allows one at a time.
"""

from __future__ import annotations

import subprocess
import sys

import streamlit as st

from digit_app.store import drawings_store
from mnist_core.config import DEFAULT_MODEL, PROJECT_ROOT
from mnist_core.drawings import DONE, FAILED, FinetuneJob, StoreUnavailable
from mnist_core.finetune_sources import APP_DATABASE, MIN_DRAWINGS

FINETUNE_SCRIPT = PROJECT_ROOT / "scripts" / "finetune.py"
NICENESS = 10
REFRESH_SECONDS = 2


def start_fine_tune(base_model: str) -> FinetuneJob:
    """Record a job for the current round and start its process; ValueError while one runs."""
    store = drawings_store()
    job = store.start_finetune(base_model)
    command = ["nice", "-n", str(NICENESS), sys.executable, str(FINETUNE_SCRIPT), "--from", base_model,
               "--data", APP_DATABASE, "--round", str(job.round_id), "--job", str(job.id), "--background"]
    try:
        # The environment carries DRAWINGS_DB, MNIST_DATA_DIR and DIGIT_MODELS_DIR to it (never
        # the database's password on a command line that `ps` shows).
        subprocess.Popen(command, cwd=PROJECT_ROOT, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL, start_new_session=True)
    except OSError as error:
        store.finish_job(job.id, FAILED, f"could not start the fine-tune: {error.strerror}")
        raise ValueError(f"could not start the fine-tune: {error.strerror}") from None
    return job


def learn_from_room_ui(model_in_use: str | None) -> None:
    """The button, and the latest job: its progress while it runs, its before/after once done."""
    st.markdown("**Learn from this room**")
    st.caption(f"Fine-tunes the model in use on this round's answers (at least {MIN_DRAWINGS}) in a few minutes, "
               "in the background: drawing goes on meanwhile.")
    if st.button("Learn from this room", icon=":material/school:"):
        try:
            start_fine_tune(model_in_use or DEFAULT_MODEL)
        except ValueError as error:  # one already running; StoreUnavailable too
            st.warning(str(error))
    job_ui()


@st.fragment(run_every=REFRESH_SECONDS)
def job_ui() -> None:
    try:
        job = drawings_store().latest_job()
    except StoreUnavailable as error:
        st.warning(str(error))
        return
    if job is None:
        return
    if job.is_alive():
        st.progress(job.progress, text=job.message)
    elif job.state == DONE and job.result:
        before, after = job.result["before"], job.result["after"]
        held_out, mnist = st.columns(2)
        held_out.metric(f"Held-out drawings ({job.result['held_out']})", f"{after['held_out_accuracy']:.1%}",
                        delta=f"{100 * (after['held_out_accuracy'] - before['held_out_accuracy']):+.1f} points")
        mnist.metric("MNIST test", f"{after['test_accuracy']:.2%}",
                     delta=f"{100 * (after['test_accuracy'] - before['test_accuracy']):+.2f} points")
        st.caption(f"{job.model_name}: learnt from round {job.round_id}'s {job.result['drawings']} digits "
                   f"in {job.result['seconds'] / 60:.1f} min, starting from {job.base_model}.")
        model_in_use_ui(job.model_name)
    else:
        st.error(f"The last fine-tune did not finish: {job.message}")


def model_in_use_ui(new_model: str) -> None:
    """Make the new model the one everyone's drawings are read with, or go back to the default."""
    store = drawings_store()
    in_use = store.model_in_use() or DEFAULT_MODEL
    use, back = st.columns(2)
    if in_use != new_model and use.button(f"Read everyone's drawings with {new_model}", icon=":material/check:"):
        store.set_model_in_use(new_model)
        st.rerun(scope="fragment")
    if in_use != DEFAULT_MODEL and back.button(f"Back to {DEFAULT_MODEL}", icon=":material/undo:"):
        store.set_model_in_use(None)
        st.rerun(scope="fragment")
    st.caption(f"Drawings are read with **{in_use}**.")
