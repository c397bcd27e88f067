// The canvas of streamlit-drawable-canvas 0.13.0, wrapped (see digit_app/workarounds.py): the
// package's own module is served from its folder unchanged; this one mounts it and adds two things.
//
// 1. Each stroke is sent at once. The package waits 200 ms after a stroke before it sends the
//    drawing, in case another change follows; the answer then comes 200 ms later than it could.
//    Once a stroke on the canvas ends, this presses the toolbar's own "Update the app with this
//    drawing" button, which sends at once and cancels the wait. A timeout, not the pointerup
//    itself: the canvas records the stroke in a microtask after it.
// 2. Ctrl+Z undoes and Ctrl+Shift+Z (or Ctrl+Y) redoes, as in every drawing program, while the
//    canvas has focus (it takes it when drawn on, or by Tab); Cmd on a Mac. The package has the
//    toolbar buttons only.

// Relative to the page, as Streamlit serves it (also under a server.baseUrlPath); else from the root.
const canvasModule = import(new URL("$canvas_js_path", document.baseURI).href)
  .catch(() => import(new URL("/$canvas_js_path", document.baseURI).href));
const wired = new WeakSet();

function sendEachStrokeAtOnce(root) {
  root.addEventListener("pointerdown", (event) => {
    if (!event.target.classList || !event.target.classList.contains("upper-canvas")) return;
    window.addEventListener("pointerup", () => setTimeout(() => {
      const send = root.querySelector(`$send_button`);
      if (send) send.click();
    }), { once: true });
  });
}

function undoRedoByKeyboard(root) {
  const focusable = () => root.querySelector(".dc-root");
  const makeFocusable = () => {
    const area = focusable();
    if (area && !area.hasAttribute("tabindex")) {
      area.tabIndex = 0;
      area.setAttribute("aria-label", "Drawing canvas: Ctrl+Z undoes, Ctrl+Shift+Z redoes");
    }
    return area;
  };
  makeFocusable();
  // Fabric handles the pointer itself, so a click on the canvas does not focus it by default.
  root.addEventListener("pointerdown", () => makeFocusable()?.focus({ preventScroll: true }));
  root.addEventListener("keydown", (event) => {
    if (!(event.ctrlKey || event.metaKey) || event.altKey) return;
    const key = event.key.toLowerCase();
    const redo = (key === "z" && event.shiftKey) || (key === "y" && !event.shiftKey);
    if (key !== "z" && !redo) return;
    const button = root.querySelector(redo ? 'button[title="Redo"]' : 'button[title="Undo"]');
    event.preventDefault();
    if (button && !button.disabled) button.click();
  });
}

export default async function (component) {
  const { default: mountCanvas } = await canvasModule;
  const cleanup = mountCanvas(component);
  const root = component.parentElement;
  if (!wired.has(root)) {
    wired.add(root);
    sendEachStrokeAtOnce(root);
    undoRedoByKeyboard(root);
  }
  return cleanup;
}
