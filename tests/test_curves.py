"""The curves explorer's arithmetic: smoothing worked by hand, and the CSV holds every point the charts draw."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest

from digit_app.curve_charts import ChartChoice, explorer_charts, explorer_csv
from mnist_core.config import MODELS_DIR
from mnist_core.curves import MAX_POINTS_PER_CURVE, X_AXES, read_records
from mnist_core.smoothing import debiased_ema, moving_average


def test_the_debiased_exponential_average_starts_at_the_first_value():
    # weight 0.5 on 1, 3, 3: the running sums 0.5, 1.75, 2.375 divided by 1 - 0.5**n (0.5, 0.75, 0.875).
    assert debiased_ema([1, 3, 3], 0.5) == pytest.approx([1, 7 / 3, 19 / 7])
    assert debiased_ema([4, 2], 0.0) == pytest.approx([4, 2])  # weight 0: the raw curve
    # A diverged value stays as it is and is left out of the average.
    assert debiased_ema([1, np.nan, 3], 0.5) == pytest.approx([1, np.nan, 7 / 3], nan_ok=True)


def test_moving_averages_hold_what_there_is_near_the_ends():
    values = [1, 2, 3, 4, 5]
    assert moving_average(values, 3, centred=False) == pytest.approx([1, 1.5, 2, 3, 4])
    assert moving_average(values, 3, centred=True) == pytest.approx([1.5, 2, 3, 4, 4.5])
    assert moving_average(values, 5, centred=True) == pytest.approx([2, 2.5, 3, 3.5, 4])
    assert moving_average(values, 1, centred=True) == pytest.approx(values)
    with pytest.raises(ValueError, match="odd"):
        moving_average(values, 4, centred=True)


SHIPPED = tuple(sorted((path.name, str(path)) for path in MODELS_DIR.iterdir() if (path / "history.json").is_file()))


@pytest.mark.parametrize("x_axis, smoothing, strength", [("epoch", "none", 0.0), ("step", "ema", 0.6), ("time", "centred", 9.0)])
def test_the_csv_holds_every_point_the_charts_draw(x_axis, smoothing, strength):
    choice = ChartChoice(SHIPPED, tuple(name for name, _ in SHIPPED), x_axis, smoothing, strength)
    # The charts' tables are slices of one table of points: together, each of its rows once.
    charts = explorer_charts(choice)
    drawn = pd.concat([table.assign(chart=name) for name, (_, table) in charts.items()]).sort_index()
    csv = pd.read_csv(io.BytesIO(explorer_csv(SHIPPED, x_axis, smoothing, strength)))
    assert drawn.index.tolist() == list(range(len(csv)))
    for column in ("model", "split", "best_validation"):
        assert csv[column].tolist() == drawn[column].tolist()
    assert (csv.metric.str.replace("_", " ") + np.where(csv.split == "gap", " gap", "")).tolist() == drawn.chart.tolist()
    np.testing.assert_allclose(csv[X_AXES[x_axis]], drawn.x, rtol=1e-6)
    np.testing.assert_allclose(csv.value, drawn.value, rtol=1e-6)
    np.testing.assert_allclose(csv.smoothed.fillna(csv.value), drawn.line, rtol=1e-6)  # the line drawn in full

    records = [read_records(folder) for _, folder in SHIPPED]
    for model in records:
        rows = csv[csv.model == model.name]
        validation = rows[(rows.metric == "accuracy") & (rows.split == "validation")]
        if x_axis == "step" and model.steps is None:
            assert rows.empty  # the page says why: no step records
            continue
        assert validation.value.tolist() == pytest.approx(model.history["val_accuracy"])
        best = validation[validation.best_validation]
        assert best.epoch.tolist() == [1 + int(np.argmax(model.history["val_accuracy"]))]
        training = rows[(rows.metric == "loss") & (rows.split == "training")]
        if x_axis != "epoch" and model.steps is not None:  # ~850 step records, every 5th drawn, and the last
            recorded = dict(zip(model.steps["step"], model.steps["loss"]))
            assert len(training) <= MAX_POINTS_PER_CURVE and training.step.iloc[-1] == model.steps["step"][-1]
            assert training.value.tolist() == pytest.approx([recorded[step] for step in training.step])
        else:
            assert training.value.tolist() == pytest.approx(model.history["loss"])
        assert training.smoothed.isna().all() == (smoothing == "none")
    assert any(model.steps for model in records), "no shipped model has step records to draw"


def test_a_fine_tuned_model_shows_its_bases_epochs_and_where_fine_tuning_began(tmp_path):
    from mnist_core.artifacts import write_json
    from mnist_core.finetune import continued_history, continued_steps
    from mnist_core.step_records import StepLog, write_steps

    base = read_records(MODELS_DIR / "linear")  # its steps.json too
    tuned = {"loss": [0.2, 0.1], "accuracy": [0.9, 0.95], "val_loss": [0.03, 0.02], "val_accuracy": [0.99, 0.995],
             "held_out_accuracy": [0.8, 0.9], "learning_rate": [3e-4, 1e-4], "seconds": [60.0, 60.0]}
    tuned_log = StepLog(steps_per_epoch=30)  # as mnist_core.finetune records its batches of 96
    for step in range(60):
        tuned_log.add_batch(0.2 * 96, 0.9 * 96, 96, 3e-4, 2.0 * (step + 1))
        if step % 30 == 29:
            tuned_log.end_epoch()
    folder = tmp_path / "linear-finetuned"
    folder.mkdir()
    write_json(folder / "history.json", continued_history(base.history, tuned))
    write_steps(folder, continued_steps(base.history, base.steps, tuned_log.finish()))
    models = (("linear-finetuned", str(folder)),)
    epochs, last_step = base.epochs, base.steps["epoch_end_step"][-1]
    base_minutes = sum(base.history["seconds"]) / 60
    # Where fine-tuning began, and where its last epoch ends, on each axis.
    for x_axis, start, end in (("epoch", epochs, epochs + 2), ("step", last_step, last_step + 60),
                               ("time", base_minutes, base_minutes + 2)):
        _, table = explorer_charts(ChartChoice(models, ("linear-finetuned",), x_axis))["accuracy"]
        (rule,) = table[table.split == "fine-tuning begins"].itertuples()
        assert (rule.model, rule.x) == ("linear-finetuned", pytest.approx(start))
        validation = table[table.split == "validation"]
        assert len(validation) == epochs + 2  # the base's epochs, then the fine-tune's
        assert validation.x.iloc[-1] == pytest.approx(end)
        training = table[table.split == "training"]
        assert training.x.iloc[-1] == pytest.approx(end, rel=1e-3)  # its last step record, at the last batch
