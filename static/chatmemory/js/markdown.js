/* Markdown for answers: CommonMark + GFM (tables, strikethrough, task lists, autolinks),
 * highlighted code, sanitized. One function, render(), used for streamed answers (re-rendered
 * as tokens arrive) and for stored ones after a reload, so both look exactly the same.
 *
 * Safety, in layers:
 *  1. markdown-it with html:false: raw HTML in the text is shown as text, never parsed.
 *  2. Links and images: only http(s), mailto and relative URLs (validateLink); an image is shown
 *     as a link ("Image: alt"), never loaded, so an answer cannot make the browser fetch a URL
 *     (no tracking pixels, no data exfiltration through image URLs a prompt injection wrote).
 *  3. DOMPurify over the result with an allow-list of tags and attributes (no style, no id, no
 *     event handlers); every link opens in a new tab with rel="noopener noreferrer nofollow ugc".
 */
import markdownit from "../../vendor/markdown-it/markdown-it.esm.min.js";
import { tasklist } from "../../vendor/mdit-plugin-tasklist/index.js";
import DOMPurify from "../../vendor/dompurify/purify.es.js";
import hljs from "../../vendor/highlight.js/highlight.min.js";

const CONTROL_OR_SPACE = /[\u0000-\u0020\u007f-\u009f\u00a0\u2028\u2029\ufeff]/g;
const HAS_SCHEME = /^[a-z][a-z0-9+.-]*:/i;
const SAFE_SCHEME = /^(https?|mailto):/i;

/** Whether a link/image destination may be used: http(s), mailto or relative (no other scheme). */
export function safeUrl(url) {
  const compact = String(url).replace(CONTROL_OR_SPACE, "");
  return !HAS_SCHEME.test(compact) || SAFE_SCHEME.test(compact);
}

function highlight(code, lang) {
  const language = (lang || "").trim().toLowerCase();
  if (language && hljs.getLanguage(language)) {
    try {
      return hljs.highlight(code, { language, ignoreIllegals: true }).value;
    } catch (ignored) { /* fall back to plain, escaped code */ }
  }
  return ""; // markdown-it escapes the code itself
}

const md = markdownit({ html: false, linkify: true, typographer: false, breaks: true, highlight });
md.use(tasklist, { disabled: true, label: false });
md.validateLink = safeUrl;

// Images become links: nothing in an answer is fetched by the browser.
md.renderer.rules.image = (tokens, idx) => {
  const token = tokens[idx];
  const src = md.utils.escapeHtml(token.attrGet("src") || "");
  const alt = md.utils.escapeHtml(token.content || token.attrGet("alt") || "image");
  return `<a href="${src}" class="md-image">Image: ${alt}</a>`;
};

// Table alignment as a class instead of a style attribute (no style passes the sanitizer).
md.core.ruler.push("align_class", (state) => {
  for (const token of state.tokens) {
    if (token.type !== "th_open" && token.type !== "td_open") { continue; }
    const style = token.attrGet("style") || "";
    const match = /text-align:\s*(left|right|center)/.exec(style);
    token.attrs = (token.attrs || []).filter(([name]) => name !== "style");
    if (match) { token.attrJoin("class", "md-align-" + match[1]); }
  }
});

const PURIFY = {
  ALLOWED_TAGS: [
    "a", "blockquote", "br", "code", "del", "em", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "input",
    "li", "ol", "p", "pre", "s", "span", "strong", "table", "tbody", "td", "th", "thead", "tr", "ul",
  ],
  ALLOWED_ATTR: ["href", "title", "class", "type", "checked", "disabled", "start"],
  ALLOWED_URI_REGEXP: /^(?:(?:https?|mailto):|[^a-z]|[a-z+.-]+(?:[^a-z+.\-:]|$))/i,
  ALLOW_DATA_ATTR: false,
  RETURN_DOM_FRAGMENT: true,
};

DOMPurify.addHook("uponSanitizeElement", (node, data) => {
  // The task-list plugin's disabled checkboxes are the only inputs there can be.
  if (data.tagName === "input" && (node.getAttribute("type") !== "checkbox" || !node.hasAttribute("disabled"))) {
    node.remove();
  }
});
DOMPurify.addHook("afterSanitizeAttributes", (node) => {
  if (node.tagName === "A") {
    if (!node.getAttribute("href")) { node.removeAttribute("href"); return; }
    node.setAttribute("target", "_blank");
    node.setAttribute("rel", "noopener noreferrer nofollow ugc");
  }
});

/** Wrap each code block in a frame with its language and a Copy button (data-action="copy-code"). */
function frameCodeBlocks(fragment) {
  for (const pre of fragment.querySelectorAll("pre")) {
    const code = pre.querySelector("code");
    const lang = code ? [...code.classList].find((c) => c.startsWith("language-")) : null;
    const frame = document.createElement("div");
    frame.className = "code-block";
    const head = document.createElement("div");
    head.className = "code-head";
    const label = document.createElement("span");
    label.className = "code-lang";
    label.textContent = lang ? lang.slice("language-".length) : "text";
    const copy = document.createElement("button");
    copy.type = "button";
    copy.className = "btn-icon copy-code";
    copy.dataset.action = "copy-code";
    copy.textContent = "Copy";
    copy.setAttribute("aria-label", "Copy code");
    head.append(label, copy);
    if (code) { code.classList.add("hljs"); }
    pre.replaceWith(frame);
    frame.append(head, pre);
  }
}

/** The sanitized DOM of ``source`` (a DocumentFragment). */
export function render(source) {
  const fragment = DOMPurify.sanitize(md.render(String(source || "")), PURIFY);
  frameCodeBlocks(fragment);
  return fragment;
}

/** Render ``source`` into ``element`` (replacing its children). */
export function renderInto(element, source) {
  element.replaceChildren(render(source));
}
