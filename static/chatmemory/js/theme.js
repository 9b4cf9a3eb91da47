/* The theme toggle: system → light → dark → system. The choice is kept in localStorage and
 * applied before the first paint by theme-init.js; "system" follows prefers-color-scheme. */
const KEY = "chatmemory-theme";
const NEXT = { system: "light", light: "dark", dark: "system" };
const LABEL = { system: "Theme: system", light: "Theme: light", dark: "Theme: dark" };

export function currentTheme() {
  const value = document.documentElement.getAttribute("data-theme");
  return value === "light" || value === "dark" ? value : "system";
}

export function applyTheme(theme) {
  const root = document.documentElement;
  if (theme === "light" || theme === "dark") { root.setAttribute("data-theme", theme); }
  else { root.removeAttribute("data-theme"); }
  try {
    if (theme === "system") { localStorage.removeItem(KEY); } else { localStorage.setItem(KEY, theme); }
  } catch (ignored) { /* storage disabled: the choice lasts for this page only */ }
}

export function initThemeToggle(button) {
  if (!button) { return; }
  const show = () => {
    const theme = currentTheme();
    button.textContent = LABEL[theme];
    button.setAttribute("aria-label", `${LABEL[theme]} (switch to ${NEXT[theme]})`);
    button.dataset.theme = theme;
  };
  button.addEventListener("click", () => { applyTheme(NEXT[currentTheme()]); show(); });
  show();
}
