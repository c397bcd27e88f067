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
function sendEachStrokeAtOnce(root) {
  const onPointerDown = (event) => {
    if (!event.target.classList || !event.target.classList.contains("upper-canvas")) return;
    window.addEventListener("pointerup", () => setTimeout(() => {
      const send = root.querySelector(`$send_button`);
      if (send) send.click();
    }), { once: true });
  };
  root.addEventListener("pointerdown", onPointerDown);
  return () => root.removeEventListener("pointerdown", onPointerDown);
}

function undoRedoByKeyboard(root) {
  // The canvas "has focus" from a pointer down on it (or its toolbar) until one elsewhere, or
  // while the keyboard's focus is inside it (Tab): a toolbar button that turns disabled drops
  // the browser's focus, and Fabric takes the pointer without focusing anything.
  let canvasActive = false;
  const area = root.querySelector(".dc-root");
  if (area) {
    area.tabIndex = 0;
    area.setAttribute("aria-label", "Drawing canvas: Ctrl+Z undoes, Ctrl+Shift+Z redoes");
  }
  const onPointerDown = (event) => { canvasActive = event.composedPath().includes(root); };
  const onKeyDown = (event) => {
    const focusInside = event.composedPath().includes(root);
    const typing = /^(INPUT|TEXTAREA|SELECT)$$/.test(document.activeElement?.tagName ?? "");
    if (!(focusInside || (canvasActive && !typing))) return;
    if (!(event.ctrlKey || event.metaKey) || event.altKey) return;
    const key = event.key.toLowerCase();
    const redo = (key === "z" && event.shiftKey) || (key === "y" && !event.shiftKey);
    if (key !== "z" && !redo) return;
    event.preventDefault();
    const button = root.querySelector(redo ? 'button[title="Redo"]' : 'button[title="Undo"]');
    if (button && !button.disabled) button.click();
  };
  document.addEventListener("pointerdown", onPointerDown, true);
  document.addEventListener("keydown", onKeyDown, true);
  return () => {
    document.removeEventListener("pointerdown", onPointerDown, true);
    document.removeEventListener("keydown", onKeyDown, true);
  };
}

export default async function (component) {
  const { default: mountCanvas } = await canvasModule;
  const cleanupCanvas = mountCanvas(component);
  const root = component.parentElement;
  const cleanups = [sendEachStrokeAtOnce(root), undoRedoByKeyboard(root)];
  return () => {
    cleanups.forEach((cleanup) => cleanup());
    if (typeof cleanupCanvas === "function") cleanupCanvas();
  };
}
