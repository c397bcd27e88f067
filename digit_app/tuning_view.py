"""How a tuned model was found (scripts/tune.py): its search's trials, their hyperparameters against
their scores, and a chosen trial's curves beside the best's. For a model folder whose metrics.json
has `tuning`."""

from __future__ import annotations

import streamlit as st

from digit_app.loaders import load_metrics
from digit_app.tuning_charts import parallel_coordinates_spec, trial_curves_specs
from mnist_core.tuning_record import chained_history, hidden_units, trials_frame

TRIAL_CHOICE_KEY = "tuning_trial"


def tuning_ui(folder: str) -> None:
    """The tuning view of the model in `folder`."""
    try:
        metrics = load_metrics(folder)
    except (FileNotFoundError, ValueError) as error:
        st.warning(str(error))
        return
    tuning = metrics.get("tuning")
    if not tuning:
        st.info("This model was not found by a search: it has no tuning record (scripts/tune.py writes one).")
        return
    best = tuning["best"]
    values = best["hyperparameters"]
    st.markdown(
        f"Keras Tuner's {tuning['tuner']} ran **{len(tuning['trials'])} trials** in {tuning['search_seconds'] / 60:.1f} min "
        f"(stopped by {tuning['stopped_by']}), training on {tuning['train_images']:,} MNIST digits and scoring each by "
        f"its best accuracy on {tuning['validation_images']:,} others. The best, trial {best['trial']} "
        f"({'-'.join(map(str, hidden_units(values)))} units, dropout {values['dropout']:.1f}, learning rate "
        f"{values['learning_rate']:.1e}, batch {values['batch_size']}), reached **{best['score']:.2%}** at epoch "
        f"{best['epochs']}; trained again on all {metrics['train_images']:,} digits for {best['epochs']} epochs, it reads "
        f"**{metrics['test_accuracy']:.2%}** of the {sum(map(sum, metrics['confusion_matrix'])):,} test digits."
    )
    st.caption(f"Made by `{tuning['command']}`. A promoted trial goes on from the best epoch of the trial it continues.")
    trials = trials_frame(tuning)
    st.dataframe(
        trials, hide_index=True, width="stretch",
        column_config={
            "score": st.column_config.NumberColumn("score", format="percent", help="best validation accuracy"),
            **{f"units_{index}": f"layer {index} units" for index in range(1, tuning["max_layers"] + 1)},
            "learning_rate": st.column_config.NumberColumn("learning rate", format="%.2e"),
            "batch_size": "batch",
            "epochs": st.column_config.NumberColumn(
                "epochs", help="trained up to this epoch, counted from the first trial of its chain"),
            "continues": st.column_config.TextColumn("continues", help="the trial whose best weights it trained on from"),
            "seconds": st.column_config.NumberColumn("seconds", format="%.0f", help="its own epochs only"),
        },
    )
    labels = {row.trial: f"trial {row.trial}: {row.score:.2%}, {row.epochs} epochs" for row in trials.itertuples()}
    others = [trial for trial in labels if trial != best["trial"]]
    chosen = st.selectbox("Trial to compare with the best", list(labels), format_func=labels.get, key=TRIAL_CHOICE_KEY,
                          index=list(labels).index(others[0]) if others else 0)
    st.markdown("**Hyperparameters against score** (one line per trial; the best and the chosen drawn thick)")
    st.vega_lite_chart(parallel_coordinates_spec(trials, [best["trial"], chosen]), width="stretch")
    curves = {f"trial {best['trial']} (best)": chained_history(tuning, best["trial"])}
    if chosen != best["trial"]:
        curves[f"trial {chosen}"] = chained_history(tuning, chosen)
    st.markdown("**Curves** (solid: training, dashed: validation)")
    for spec in trial_curves_specs(curves):
        st.vega_lite_chart(spec, width="stretch")


@st.dialog("How it was tuned", width="large")
def tuning_dialog(folder: str) -> None:
    """The tuning view in a wide dialog, opened from the narrow sidebar."""
    tuning_ui(folder)
