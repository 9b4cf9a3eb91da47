/* Timestamps in the reader's time zone: "14:05" today, "Mon 14:05" this week, "Dec 2, 14:05"
 * this year, "Dec 2, 2025" before; the full date and time in the tooltip. The server renders
 * a UTC fallback inside each <time datetime>; this replaces it. */
const DAY = 24 * 60 * 60 * 1000;

export function formatTime(date, now = new Date()) {
  const time = date.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
  if (date.toDateString() === now.toDateString()) { return time; }
  if (now - date < 6 * DAY && now >= date) {
    return `${date.toLocaleDateString([], { weekday: "short" })} ${time}`;
  }
  if (date.getFullYear() === now.getFullYear()) {
    return `${date.toLocaleDateString([], { month: "short", day: "numeric" })}, ${time}`;
  }
  return date.toLocaleDateString([], { year: "numeric", month: "short", day: "numeric" });
}

/** "just now", "5 min ago", "3 h ago", "2 days ago", then the date (the sidebar's activity). */
export function formatAgo(date, now = new Date()) {
  const seconds = Math.max(0, (now - date) / 1000);
  if (seconds < 60) { return "just now"; }
  if (seconds < 3600) { return `${Math.floor(seconds / 60)} min ago`; }
  if (seconds < 86400) { return `${Math.floor(seconds / 3600)} h ago`; }
  if (seconds < 30 * 86400) { const d = Math.floor(seconds / 86400); return `${d} day${d === 1 ? "" : "s"} ago`; }
  return date.toLocaleDateString([], { year: "numeric", month: "short", day: "numeric" });
}

export function setTime(element, date, { ago = false } = {}) {
  element.setAttribute("datetime", date.toISOString());
  element.textContent = ago ? formatAgo(date) : formatTime(date);
  element.title = date.toLocaleString([], { dateStyle: "full", timeStyle: "short" });
}

/** Localize every <time datetime> under ``root`` (data-role="active" ones as "… ago"). */
export function localizeTimes(root = document) {
  for (const element of root.querySelectorAll("time[datetime]")) {
    const date = new Date(element.getAttribute("datetime"));
    if (!Number.isNaN(date.getTime())) { setTime(element, date, { ago: element.dataset.role === "active" }); }
  }
}
