/* Copy text: the async Clipboard API where the page is a secure context, else the old
 * execCommand("copy") through a hidden textarea (plain-HTTP deployments on a LAN). */
export async function copyText(text) {
  if (navigator.clipboard && window.isSecureContext) {
    try {
      await navigator.clipboard.writeText(text);
      return true;
    } catch (ignored) { /* permission refused: try the fallback */ }
  }
  const area = document.createElement("textarea");
  area.value = text;
  area.setAttribute("readonly", "");
  area.style.position = "fixed";
  area.style.opacity = "0";
  document.body.append(area);
  area.select();
  let ok = false;
  try { ok = document.execCommand("copy"); } catch (ignored) { ok = false; }
  area.remove();
  return ok;
}

/** Copy and show the result on ``button`` for a moment ("Copied" / "Copy failed"). */
export async function copyWithFeedback(button, text) {
  const label = button.dataset.label || button.textContent;
  button.dataset.label = label;
  const ok = await copyText(text);
  button.textContent = ok ? "Copied" : "Copy failed";
  button.classList.toggle("copied", ok);
  clearTimeout(button._copyTimer);
  button._copyTimer = setTimeout(() => {
    button.textContent = label;
    button.classList.remove("copied");
  }, 1600);
  return ok;
}
