/* A read-only page of messages (the shared conversation): answers rendered as Markdown by the
 * same renderer as the chat page, local times, Copy buttons. Nothing else. */
import { handleCopyClick, hydrateAll } from "./messages.js";
import { localizeTimes } from "./time.js";

for (const list of document.querySelectorAll("ol.messages")) {
  hydrateAll(list);
  list.addEventListener("click", handleCopyClick);
}
localizeTimes(document);
