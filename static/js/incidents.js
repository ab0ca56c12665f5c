// Incident pages: a hint when the live part shows a new state (confirmations are portal.js's).

// The detail page polls #live; when the status changed, the buttons above are stale.
document.addEventListener("htmx:afterSwap", () => {
  const live = document.getElementById("live");
  if (!live) return;
  const first = document.body.dataset.incidentStatus || live.dataset.status;
  document.body.dataset.incidentStatus = first;
  if (live.dataset.status !== first) {
    const banner = document.getElementById("stale-banner");
    if (banner) banner.classList.remove("d-none");
  }
});
document.addEventListener("DOMContentLoaded", () => {
  const live = document.getElementById("live");
  if (live) document.body.dataset.incidentStatus = live.dataset.status;
});
