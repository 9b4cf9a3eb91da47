/* The conversation list as a drawer on narrow screens (CSS decides when: max-width 800px).
 * Opened by [data-drawer-open], closed by [data-drawer-close], the backdrop, Escape, or
 * following a link inside it; focus moves into the drawer and back to the toggle. */
export function initDrawer() {
  const shell = document.getElementById("shell");
  const sidebar = document.getElementById("sidebar");
  if (!shell || !sidebar) { return null; }
  const backdrop = shell.querySelector(".drawer-backdrop");
  const toggles = () => document.querySelectorAll("[data-drawer-open]");
  let opener = null;

  function isOpen() { return shell.classList.contains("drawer-open"); }
  function open(trigger) {
    opener = trigger || null;
    shell.classList.add("drawer-open");
    if (backdrop) { backdrop.hidden = false; }
    toggles().forEach((t) => t.setAttribute("aria-expanded", "true"));
    const first = sidebar.querySelector(".conv-link.is-current, [data-role=new-chat]");
    if (first) { first.focus({ preventScroll: true }); }
  }
  function close() {
    if (!isOpen()) { return; }
    shell.classList.remove("drawer-open");
    if (backdrop) { backdrop.hidden = true; }
    toggles().forEach((t) => t.setAttribute("aria-expanded", "false"));
    if (opener) { opener.focus({ preventScroll: true }); }
  }
  document.addEventListener("click", (event) => {
    const trigger = event.target.closest("[data-drawer-open]");
    if (trigger) { event.preventDefault(); isOpen() ? close() : open(trigger); return; }
    if (event.target.closest("[data-drawer-close]")) { event.preventDefault(); close(); return; }
    if (isOpen() && event.target.closest("#sidebar a")) { close(); }
  });
  document.addEventListener("keydown", (event) => { if (event.key === "Escape") { close(); } });
  return { open, close, isOpen };
}
