// Small behaviours without inline scripts (CSP-friendly).
document.addEventListener("change", (event) => {
  const el = event.target;
  if (el.matches("[data-autosubmit]")) el.form.requestSubmit();
});
// Every irreversible button or link carries data-confirm="<translated question>".
document.addEventListener("click", (event) => {
  const asker = event.target.closest("[data-confirm]");
  if (asker && !window.confirm(asker.dataset.confirm)) {
    event.preventDefault();
    event.stopPropagation();
  }
});
// Live remaining time: <span data-deadline="ISO">…</span>, written in the page's language
// from <body data-hours-minutes="{h}h {m}m">.
function tickDeadlines() {
  const now = Date.now();
  const format = document.body.dataset.hoursMinutes || "{h}h {m}m";
  document.querySelectorAll("[data-deadline]").forEach((el) => {
    const ms = Date.parse(el.dataset.deadline) - now;
    const sign = ms < 0 ? "-" : "";
    const abs = Math.abs(ms);
    const h = Math.floor(abs / 3600000), m = Math.floor((abs % 3600000) / 60000);
    el.textContent = sign + format.replace("{h}", h).replace("{m}", String(m).padStart(2, "0"));
    el.classList.toggle("clock-breached", ms < 0);
  });
}
document.addEventListener("DOMContentLoaded", () => { tickDeadlines(); setInterval(tickDeadlines, 30000); });
document.addEventListener("htmx:afterSwap", tickDeadlines);
