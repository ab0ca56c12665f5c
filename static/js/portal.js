// Small behaviours without inline scripts (CSP-friendly).
document.addEventListener("change", (event) => {
  const el = event.target;
  if (el.matches("[data-autosubmit]")) el.form.requestSubmit();
});
// Live remaining time: <span data-deadline="ISO">…</span>
function tickDeadlines() {
  const now = Date.now();
  document.querySelectorAll("[data-deadline]").forEach((el) => {
    const ms = Date.parse(el.dataset.deadline) - now;
    const sign = ms < 0 ? "-" : "";
    const abs = Math.abs(ms);
    const h = Math.floor(abs / 3600000), m = Math.floor((abs % 3600000) / 60000);
    el.textContent = `${sign}${h}h ${String(m).padStart(2, "0")}m`;
    el.classList.toggle("clock-breached", ms < 0);
  });
}
document.addEventListener("DOMContentLoaded", () => { tickDeadlines(); setInterval(tickDeadlines, 30000); });
document.addEventListener("htmx:afterSwap", tickDeadlines);
