/* Menus are <details class="menu"> (they work without JS); this closes an open one on a click
 * outside it or on Escape, and keeps only one open at a time. */
export function initMenus() {
  document.addEventListener("click", (event) => {
    for (const menu of document.querySelectorAll("details.menu[open]")) {
      if (!menu.contains(event.target)) { menu.open = false; }
    }
  });
  document.addEventListener("keydown", (event) => {
    if (event.key !== "Escape") { return; }
    for (const menu of document.querySelectorAll("details.menu[open]")) {
      menu.open = false;
      menu.querySelector("summary").focus();
    }
  });
}

export function closeMenus() {
  for (const menu of document.querySelectorAll("details.menu[open]")) { menu.open = false; }
}
