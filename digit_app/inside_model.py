"""The "Inside the model" panel: what the pipeline did, what each network voted, which pixels
decided, what the layers saw and which training digits the drawing resembles, after every stroke.

Built only while open: closed, a stroke costs one expander header more. Each part is one plain
HTML element (styled by .inside in assets/page.css): dozens of st.image calls would cost the
browser far more on every stroke.
"""

from __future__ import annotations

import html
from pathlib import Path

import numpy as np
import streamlit as st

from digit_app.reading_view import png_data_uri, probability_bars_html
from mnist_core import display
from mnist_core.explain import Explainer, Explanation, saliency_on_drawing, strongest_units
from mnist_core.inside_pictures import feature_map_pictures, heat_picture, pipeline_steps
from mnist_core.predictor import EMPTY, DigitReading, Reading

PANEL_KEY = "inside_model"
PROMPT = "Draw a digit: this panel shows what happens to it inside the model, stroke by stroke."
SHOWN_SIDE = 240  # px: drawings are sent at most this large (the panel shows them smaller)
SALIENCY_MARGIN = 0.15  # of the digit's box, around it in the saliency picture


@st.cache_resource(show_spinner="Loading the model's layers…")
def load_explainer(folder: str) -> Explainer:
    """One Explainer per model for the whole server, built the first time a panel opens."""
    return Explainer(folder)


def inside_model_ui(reading: Reading | None, folder: str | Path) -> None:
    """The panel under the drawing, for the current reading (several digits: a chooser)."""
    panel = st.expander("Inside the model", icon=":material/neurology:", key=PANEL_KEY, on_change="rerun")
    if not panel.open:
        return
    with panel:
        if reading is None or reading.status == EMPTY:
            st.info(PROMPT)
            return
        try:
            explainer = load_explainer(str(folder))
        except (FileNotFoundError, ValueError) as error:
            st.warning(str(error))
            return
        index = 0
        if len(reading.digits) > 1:
            # Keyed by the count: a stroke that adds a digit starts again at the first.
            index = st.radio("Digit, left to right", range(len(reading.digits)), horizontal=True,
                             key=f"inside_digit_{len(reading.digits)}", format_func=lambda i: f"{i + 1}")
        digit = reading.digits[index]
        explanation = explainer.explain(digit)
        st.html(pipeline_html(reading, index, explanation))
        st.html(vote_html(digit, explanation))
        st.html(saliency_html(reading, digit, explanation))
        st.html(layers_html(explanation))
        st.html(neighbours_html(digit, explanation, explainer))


def section(title: str, body: str, note: str = "") -> str:
    note_html = f'<p class="note">{html.escape(note)}</p>' if note else ""
    return f'<section class="inside"><h4>{html.escape(title)}</h4>{note_html}{body}</section>'


def figure(picture: np.ndarray, alt: str, caption: str, kind: str = "") -> str:
    """One picture with its line under it (caption: HTML); kind "pixels" keeps small images sharp."""
    return (f'<figure class="{kind}"><img src="{png_data_uri(picture)}" alt="{html.escape(alt)}">'
            f"<figcaption>{caption}</figcaption></figure>")


def pipeline_html(reading: Reading, index: int, explanation: Explanation) -> str:
    """Part 1: the pipeline, step by step."""
    if explanation.steps is None:
        return section("The pipeline, step by step", "", "Not available for this reading.")
    figures = "".join(
        figure(display.shrunk(step.picture, SHOWN_SIDE), step.title,
               f"<b>{html.escape(step.title)}</b><br>{html.escape(step.caption)}",
               "pixels" if max(step.picture.shape[:2]) <= 28 else "")
        for step in pipeline_steps(reading, index, explanation.steps)
    )
    return section("The pipeline, step by step", f'<div class="steps">{figures}</div>')


def vote_html(digit: DigitReading, explanation: Explanation) -> str:
    """Part 2: each network's 10 probabilities beside their average."""
    members = explanation.members
    rows = [(f"Network {number}", member) for number, member in enumerate(members, start=1)] if len(members) > 1 else []
    rows.append(("Average: the answer" if len(members) > 1 else "The network's answer", digit.probabilities))
    body = "".join(f'<div class="vote"><div class="who">{who}</div>{probability_bars_html(p)}</div>' for who, p in rows)
    reads = members.argmax(axis=1)
    if len(members) == 1:
        note = "A single network: its probabilities are the answer."
    elif len(set(reads.tolist())) > 1:
        note = ("The networks disagree: " + ", ".join(f"network {n} reads {d}" for n, d in enumerate(reads, start=1))
                + ". The average decides.")
    else:
        note = f"All {len(members)} networks read {reads[0]}; the answer is their average."
    return section("The ensemble's vote", f'<div class="votes">{body}</div>', note)


def saliency_html(reading: Reading, digit: DigitReading, explanation: Explanation) -> str:
    """Part 3: the pixels that pushed towards the digit (the top two when not sure), on the 28x28
    input and on the drawing."""
    figures = []
    box = digit.box
    margin = int(SALIENCY_MARGIN * max(box.width, box.height))
    rows = slice(max(box.top - margin, 0), box.bottom + margin)
    cols = slice(max(box.left - margin, 0), box.right + margin)
    for shown, saliency in explanation.saliency.items():
        caption = f"Towards {shown}: the 28×28 input"
        figures.append(figure(heat_picture(digit.model_input, saliency), caption, caption, "pixels"))
        if explanation.steps is not None:
            on_drawing = saliency_on_drawing(saliency, explanation.steps, box, reading.ink.shape)
            picture = display.shrunk(heat_picture(reading.ink[rows, cols], on_drawing[rows, cols]), SHOWN_SIDE)
            caption = f"Towards {shown}: on your drawing"
            figures.append(figure(picture, caption, caption))
    note = ("Gradient × input: the ink whose darkening would raise the network's score for the digit most, "
            "brightest where it counts most.")
    if len(explanation.saliency) > 1:
        note += " Not sure: one map for each of its two best guesses."
    return section("Which pixels decided", f'<div class="steps">{"".join(figures)}</div>', note)


def layers_html(explanation: Explanation) -> str:
    """Part 4: each convolution's feature maps (hover or tap one to enlarge it), then the dense
    layer's strongest units and the digit each pushes up most."""
    parts = []
    for view in explanation.layers:
        if view.values.ndim == 3:
            # One strip of every map side by side, sent once; each tile shows its part of it.
            pictures = feature_map_pictures(view.values)
            count = len(pictures)
            strip = png_data_uri(np.concatenate(list(pictures), axis=1))
            tiles = "".join(
                f'<div tabindex="0" role="img" aria-label="feature map {number + 1}" title="map {number + 1}" '
                f'style="background-position:{100 * number / max(count - 1, 1):.3f}% 0"></div>'
                for number in range(count)
            )
            parts.append(f'<div class="layer"><div class="who">{html.escape(view.title)} · '
                         f'{view.values.shape[1]}×{view.values.shape[2]} each</div>'
                         f'<div class="maps" style="--strip:url({strip});--maps:{count}">{tiles}</div></div>')
        else:
            strongest = strongest_units(view.values)
            peak = max(float(view.values[strongest[0]]), 1e-6)
            units = "".join(
                f'<div class="unit"><span>unit {unit}</span><div class="level"><div style="width:{100 * view.values[unit] / peak:.0f}%">'
                f'</div></div><span>→ {explanation.unit_votes[unit]}</span></div>'
                for unit in strongest
            )
            parts.append(f'<div class="layer"><div class="who">{html.escape(view.title)}: the {len(strongest)} most active, '
                         f'and the digit each pushes up most</div><div class="units">{units}</div></div>')
    note = ("Bright: where a filter found its pattern (an edge, a curve, an end). "
            "Hover over a map, or tap it, to see it large." if parts else "This model has no hidden layers to show.")
    if len(explanation.members) > 1:
        note += " Shown for network 1."
    return section("What the layers saw", "".join(parts), note)


def neighbours_html(digit: DigitReading, explanation: Explanation, explainer: Explainer) -> str:
    """Part 5: the 8 nearest MNIST training digits in the penultimate layer's space."""
    title = "Training digits it resembles"
    if explanation.neighbours is None or explainer.index is None:
        return section(title, "", explainer.index_problem or "No index of training digits for this model.")
    index = explainer.index
    labels = index.labels[explanation.neighbours]
    tiles = "".join(
        figure(display.pixel_grid(index.images[position] / 255.0, cell=3), f"a training {label}",
               f"{label} · #{index.training_indices[position]}", "pixels")
        for position, label in zip(explanation.neighbours, labels)
    )
    counts = np.bincount(labels, minlength=10)
    if counts.max() == len(labels):
        among = f"all {len(labels)} are {labels[0]}s"
    else:
        among = ", ".join(f"{count} are {label}s" if count > 1 else f"one is a {label}" for label, count in
                          sorted(((label, count) for label, count in enumerate(counts) if count), key=lambda item: -item[1]))
    note = (f"Your {digit.digit} sits among these {len(labels)} training digits ({among}): nearest first, "
            "as the network's last hidden layer sees them.")
    return section(title, f'<div class="neighbours">{tiles}</div>', note)
