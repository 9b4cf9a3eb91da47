/* Every signed-in page: the theme toggle, the drawer (phones), menus, local times in the
 * sidebar, and a banner while the browser is offline. The chat page adds chat.js.
 *
 * Module map (plain ES modules, no build step):
 *   app.js      this file: page-wide behaviour        chat.js   the chat page (composer, turns, branches)
 *   theme.js    dark/light/system toggle               turn.js   one streamed turn (uses sse.js)
 *   drawer.js   the sidebar as a drawer on phones      resume.js follow a pending answer; wait for a title
 *   menus.js    <details class="menu"> behaviour       edit.js   edit a message in place (→ branch)
 *   sidebar.js  live conversation list                 composer.js, messages.js, markdown.js, scroll.js
 *   net.js      requests + failures in plain words     clipboard.js, time.js
 *   find.js     copy buttons, confirmations, import progress (find, organize, share, your data)
 */
import { initDrawer } from "./drawer.js";
import { initFind } from "./find.js";
import { initMenus } from "./menus.js";
import { initThemeToggle } from "./theme.js";
import { localizeTimes } from "./time.js";

function initOfflineBanner() {
  let banner = null;
  const show = () => {
    if (banner) { return; }
    banner = document.createElement("div");
    banner.className = "banner banner-error net-banner";
    banner.setAttribute("role", "alert");
    banner.dataset.role = "offline-banner";
    banner.textContent = "You are offline. Messages cannot be sent until the connection is back.";
    document.body.append(banner);
  };
  const hide = () => { if (banner) { banner.remove(); banner = null; } };
  window.addEventListener("offline", show);
  window.addEventListener("online", hide);
  if (navigator.onLine === false) { show(); }
}

initThemeToggle(document.querySelector("[data-role=theme-toggle]"));
initDrawer();
initMenus();
localizeTimes(document.getElementById("sidebar") || document);
initOfflineBanner();
initFind();
