/* Runs in <head> before the first paint (a classic script, no module): marks that JavaScript
 * runs (<html class="js">, which shows the JS-only controls) and applies the theme the toggle
 * saved, so a dark-mode user never sees a white flash. No saved choice: the system's. */
(function () {
  "use strict";
  var root = document.documentElement;
  root.classList.add("js");
  try {
    var theme = window.localStorage.getItem("chatmemory-theme");
    if (theme === "light" || theme === "dark") { root.setAttribute("data-theme", theme); }
  } catch (ignored) { /* storage disabled: keep the system theme */ }
})();
